"""keras.applications backbones (issue 16) through the guide's transfer-learning recipe, built by
real Keras with weights=None and seeded, in both dialects: tf-keras 2.21 writes `.h5` and a
SavedModel, Keras 3.15 writes `.keras`.

The model is the guide's: the backbone frozen (`base.trainable = False`), called with
`training=False` so that its BatchNormalization layers stay in inference mode, then global average
pooling and a Dense(1) logit, compiled with Adam and BinaryCrossentropy(from_logits=True).

For every backbone and dialect:
- ksave loads every file Keras wrote and predicts what Keras predicts;
- ksave fine-tunes the head two steps from the file (train_on_batch) and matches Keras's losses
  and weights after each step;
- ksave saves the model back in the dialect's formats (tf-keras: `.h5`, SavedModel; Keras 3:
  `.keras`) and real Keras loads each and predicts what ksave predicts.

Tolerance: rtol 1e-4, atol 1e-5 (the brief's for deep nets: dozens of float32 convolutions whose
summation order differs between oneDNN's kernels and ksave's). Inputs are images in the range the
backbone's own preprocessing layers expect (0..255 where the model rescales itself, -1..1
otherwise), small sizes each backbone accepts without its top.

Slow (one Keras build, one SavedModel write and several loads per backbone: the whole matrix of
13 backbones x 2 dialects takes over an hour on a loaded 2-core machine), so CTest runs the QUICK
cases, which reach every layer and activation issue 16 added for the backbones (Rescaling,
Normalization from weights and from its config, hard_silu, LayerScale) in both dialects and every
format; `KSAVE_INTEROP_APPLICATIONS=all ctest -L interop_applications` runs them all. Label
`interop_applications` beside `interop`, in shards that `ctest -j` spreads over the cores.
"""
import os

import numpy as np
import pytest

import interop
import keras_side as ks
import models

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import tf_keras  # noqa: E402
import keras  # noqa: E402

REPORT = interop.Report("applications")
RTOL, ATOL = 1e-4, 1e-5
ROWS = 4  # rows per batch and in the predict input

# (constructor, input size, whether the backbone rescales raw 0..255 pixels itself)
APPLICATIONS = [
    ("VGG16", 32, False), ("ResNet50", 32, False), ("ResNet50V2", 32, False), ("InceptionV3", 75, False),
    ("Xception", 71, False), ("MobileNet", 32, False), ("MobileNetV2", 32, False),
    ("MobileNetV3Small", 32, True), ("DenseNet121", 32, False), ("EfficientNetB0", 32, True),
    ("EfficientNetV2B0", 32, True), ("NASNetMobile", 32, False), ("ConvNeXtTiny", 32, True),
]
DIALECTS = {"tf_keras": tf_keras, "keras3": keras}
# What each dialect writes, and what ksave writes back for it to read.
KERAS_FORMATS = {"tf_keras": ["h5", "savedmodel"], "keras3": ["keras"]}
FILE_NAMES = {"h5": "model.h5", "savedmodel": "savedmodel", "keras": "model.keras"}

QUICK = [("MobileNetV2", "tf_keras"), ("EfficientNetB0", "tf_keras"), ("EfficientNetV2B0", "keras3"),
         ("MobileNetV3Small", "keras3"), ("ConvNeXtTiny", "keras3")]
ALL_CASES = [(app, dialect) for app in APPLICATIONS for dialect in DIALECTS]
CASES = models.shard(ALL_CASES if os.environ.get("KSAVE_INTEROP_APPLICATIONS") == "all"
                     else [c for c in ALL_CASES if (c[0][0], c[1]) in QUICK])
# Each case with each format its dialect writes (and ksave writes back for it).
FORMAT_CASES = [(case, fmt) for case in CASES for fmt in KERAS_FORMATS[case[1]]]


def case_id(case):
    (constructor, _, _), dialect = case
    return f"{constructor}-{dialect}"


# The `written` fixture is keyed by case (module scope: Keras builds each backbone once).
each_case = pytest.mark.parametrize("written", CASES, indirect=True, ids=[case_id(c) for c in CASES])
each_format = pytest.mark.parametrize("written,fmt", FORMAT_CASES, indirect=["written"],
                                      ids=[f"{case_id(c)}-{fmt}" for c, fmt in FORMAT_CASES])


def transfer_model(K, constructor, size):
    """The guide's recipe: a frozen backbone in inference mode under a new head."""
    base = getattr(K.applications, constructor)(weights=None, include_top=False, input_shape=(size, size, 3))
    base.trainable = False
    inputs = K.Input((size, size, 3))
    x = base(inputs, training=False)
    x = K.layers.GlobalAveragePooling2D()(x)
    outputs = K.layers.Dense(1)(x)
    model = K.Model(inputs, outputs)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=1e-3),
                  loss=K.losses.BinaryCrossentropy(from_logits=True))
    return model


def images(rng, size, raw_pixels):
    if raw_pixels:
        return rng.uniform(0.0, 255.0, size=(ROWS, size, size, 3)).astype(np.float32)
    return rng.uniform(-1.0, 1.0, size=(ROWS, size, size, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def written(request):
    (constructor, size, raw_pixels), dialect = request.param
    K = DIALECTS[dialect]
    seed = [a[0] for a in APPLICATIONS].index(constructor)
    folder = interop.case_dir("applications", f"{constructor}-{dialect}")
    K.utils.set_random_seed(4000 + seed)
    model = transfer_model(K, constructor, size)
    rng = interop.seeded(5000 + seed)
    batches = [([images(rng, size, raw_pixels)], [rng.integers(0, 2, size=(ROWS, 1)).astype(np.float32)])
               for _ in range(2)]
    x_test = [images(rng, size, raw_pixels)]
    files = {fmt: os.path.join(folder, FILE_NAMES[fmt]) for fmt in KERAS_FORMATS[dialect]}
    for fmt, path in files.items():
        if fmt == "savedmodel":
            model.save(path, save_format="tf")
        else:
            model.save(path)
    expected = ks.predict(model, x_test)
    trained = ks.train(model, batches)
    return {"name": f"{constructor}-{dialect}", "dialect": dialect, "folder": folder, "files": files,
            "x_test": interop.save_arrays(folder, "x_test", x_test), "x_test_arrays": x_test,
            "batches": ks.save_batches(folder, batches), "expected": expected, "trained": trained}


def ksave_predicts(w, name, path):
    outs = [os.path.join(w["folder"], f"ksave_{name}_y0.npy")]
    interop.run_ksave(w["folder"], f"read_{name}", [{"op": "load_model", "path": path},
                                                     {"op": "predict", "inputs": w["x_test"], "outputs": outs}])
    return interop.load_arrays(outs)


def classes_to_load(dialect, fmt):
    """The classes Keras needs to load its own file of a backbone: tf-keras's ConvNeXt defines
    LayerScale without registering it (tf_keras/src/applications/convnext.py, `class LayerScale`
    has no register_keras_serializable), so tf-keras 2.21 loads its own .h5 of ConvNeXtTiny only
    with the class given (measured: "Unknown layer: 'LayerScale'" otherwise) and ksave's .h5, the
    same config, likewise. A SavedModel revives it from its traces."""
    if dialect == "tf_keras" and fmt == "h5":
        from tf_keras.src.applications import convnext
        return {"LayerScale": convnext.LayerScale}
    return None


def first_format(w):
    return KERAS_FORMATS[w["dialect"]][0]


@each_format
def test_ksave_predicts_what_keras_predicts(written, fmt):
    got = ksave_predicts(written, fmt, written["files"][fmt])
    worst = interop.assert_all_close(got, written["expected"], f"{written['name']}: ksave predict of {fmt}", RTOL, ATOL)
    REPORT.add("applications", fmt, f"{written['dialect']}→ksave", "predict", worst)


@each_case
def test_ksave_fine_tunes_the_head_as_keras(written):
    fmt = first_format(written)
    out = os.path.join(written["folder"], "ksave_fine_tuned")
    interop.run_ksave(written["folder"], "fine_tune", [{"op": "load_model", "path": written["files"][fmt]},
                                                        {"op": "train", "batches": written["batches"], "out": out}])
    worst = ks.assert_same_training(ks.ksave_training(out), written["trained"],
                                    f"{written['name']}: ksave fine-tuning from {fmt}", RTOL, ATOL)
    REPORT.add("applications", fmt, f"{written['dialect']}→ksave", "fine-tune (frozen base)", worst)


@each_format
def test_keras_reads_what_ksave_writes(written, fmt):
    """ksave loads the dialect's first file and writes it as `fmt`; Keras loads that and predicts
    what ksave predicted."""
    folder = interop.case_dir("applications", written["name"], f"ksave_wrote_{fmt}")
    outs = [os.path.join(folder, "pred_0.npy")]
    target = os.path.join(folder, FILE_NAMES[fmt])
    interop.run_ksave(folder, "write", [{"op": "load_model", "path": written["files"][first_format(written)]},
                                        {"op": "save_model", "path": target, "format": fmt},
                                        {"op": "predict", "inputs": written["x_test"], "outputs": outs}])
    reloaded = DIALECTS[written["dialect"]].models.load_model(target, custom_objects=classes_to_load(written["dialect"], fmt))
    got = ks.predict(reloaded, written["x_test_arrays"])
    worst = interop.assert_all_close(got, interop.load_arrays(outs), f"{written['name']}: Keras predict of ksave's {fmt}",
                                     RTOL, ATOL)
    REPORT.add("applications", fmt, f"ksave→{written['dialect']}", "predict", worst)
