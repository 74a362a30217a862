"""The README's table of Keras layer classes, supported by ksave or not, by Keras version: written
from what the libraries themselves hold, so that it stays true as layers are added.

- Keras's side: every class exported by `tf_keras.layers` (tf-keras 2.21, the Keras 2 API) and
  `keras.layers` (Keras 3.15) that is a Layer, by the class name files carry (aliases such as
  Convolution2D name the same class, Conv2D).
- ksave's side: the layer classes its plugins and its core register (`ksave plugins --json`).
- Classes Keras writes into files from outside its `layers` module are added from where they
  live (FILE_ONLY_CLASSES: TFOpLambda, the CuDNN layers, keras.applications' own layers), marked ¹.
- Classes ksave registers that neither lists (Keras 1's Merge) are listed too.

    python layer_table.py --ksave build/bin/ksave             prints the table
    python layer_table.py --ksave build/bin/ksave --update README.md   rewrites it in the README

The README holds it between the two marker lines below; test_layer_table.py fails when the
README's table is not what this script writes.
"""
import argparse
import json
import os
import subprocess
import sys

BEGIN = "<!-- layer table: written by tests/interop/layer_table.py -->"
END = "<!-- end of layer table -->"


# Modules (per Keras version) of the classes files carry that `layers` does not export.
FILE_ONLY_CLASSES = {
    "tf_keras": ["tf_keras.src.layers.core.tf_op_layer", "tf_keras.src.layers.rnn.cudnn_lstm",
                 "tf_keras.src.layers.rnn.cudnn_gru", "tf_keras.src.applications.convnext"],
    "keras": ["keras.src.applications.convnext"],
}


def layer_classes_of(module, layer_base, defined_there):
    names = set()
    for attribute in dir(module):
        value = getattr(module, attribute)
        if isinstance(value, type) and issubclass(value, layer_base) and \
                (not defined_there or value.__module__ == module.__name__):
            names.add(value.__name__)
    return names


def keras_layer_classes(package):
    """(classes `layers` exports, classes only files carry) of tf_keras or keras."""
    import importlib
    layers = importlib.import_module(package).layers
    exported = layer_classes_of(layers, layers.Layer, False)
    file_only = set()
    for module in FILE_ONLY_CLASSES[package]:
        file_only |= layer_classes_of(importlib.import_module(module), layers.Layer, True)
    return exported, file_only - exported


def keras_lists():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    return keras_layer_classes("tf_keras"), keras_layer_classes("keras")


def ksave_layer_classes(ksave_cli):
    listing = json.loads(subprocess.run([ksave_cli, "plugins", "--json"], check=True, capture_output=True,
                                        text=True).stdout)
    names = set()
    for plugin in listing["plugins"]:
        if not plugin["loaded"]:
            raise SystemExit(f"plugin {plugin['path']} did not load: {plugin['refusal']}")
        names.update(entry.split(" ", 1)[1] for entry in plugin["registered"] if entry.startswith("layer "))
    # InputLayer is registered by libksave itself, not by a plugin.
    names.update(entry.split(" ", 1)[1] for entry in listing["core_registered"] if entry.startswith("layer "))
    return names


def table(tf_keras_lists, keras3_lists, ksave_names):
    # Base classes that are no layer a file names on its own.
    abstract = {"Layer", "Wrapper", "AbstractRNNCell"}
    tf_keras_names = tf_keras_lists[0] | tf_keras_lists[1]
    keras3_names = keras3_lists[0] | keras3_lists[1]
    rows = sorted((tf_keras_names | keras3_names | ksave_names) - abstract, key=str.lower)

    def mark(name, lists):
        return "yes" if name in lists[0] else "yes ¹" if name in lists[1] else "—"

    lines = ["| Keras layer class | tf-keras 2.21 (Keras 2) | Keras 3.15 | ksave |", "|---|---|---|---|"]
    for name in rows:
        lines.append(f"| {name} | {mark(name, tf_keras_lists)} | {mark(name, keras3_lists)} | "
                     f"{'supported' if name in ksave_names else 'not yet'} |")
    supported = [n for n in rows if n in ksave_names]
    both = [n for n in rows if n in tf_keras_names and n in keras3_names]
    lines.append("")
    lines.append("¹ not exported by the version's `layers` module, but written into files: TFOpLambda and "
                 "SlicingOpLambda (functional models applying TensorFlow ops), the CuDNN layers "
                 "(tf.compat.v1), keras.applications' own layers (ConvNeXt).")
    lines.append("")
    lines.append(f"{len(supported)} of the {len(rows)} classes are supported; of the {len(both)} that both Keras "
                 f"versions have, {sum(n in ksave_names for n in both)}.")
    return "\n".join(lines)


def replace_between_markers(text, body):
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"the README has no '{BEGIN}' ... '{END}' block")
    return text[:start] + BEGIN + "\n" + body + "\n" + text[end:]


def current_table(ksave_cli):
    tf_keras_lists, keras3_lists = keras_lists()
    return table(tf_keras_lists, keras3_lists, ksave_layer_classes(ksave_cli))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ksave", required=True, help="the ksave command of a build")
    parser.add_argument("--update", metavar="README", help="rewrite the table in this file")
    args = parser.parse_args()
    body = current_table(args.ksave)
    if not args.update:
        print(body)
        return
    with open(args.update) as f:
        text = f.read()
    with open(args.update, "w") as f:
        f.write(replace_between_markers(text, body))


if __name__ == "__main__":
    sys.exit(main())
