"""ksave's TensorBoard logs, CSV history and model plots, read by the real tools.

The same model trains twice from the same initial weights, in ksave (`ksave fit --tensorboard
--history`) and in tf-keras 2.21 (its TensorBoard and CSVLogger callbacks); PyPI tensorboard's own
loading path (the event multiplexer and data provider behind TensorBoard's dashboards) reads both
log folders, which must hold the same runs, tags, steps and values. `ksave plot` is compared with
tf-keras's model_to_dot (parsed by pydot) for the same saved models.
"""
import csv
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from tensorboard import context  # noqa: E402
from tensorboard.backend.event_processing import data_provider  # noqa: E402
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402
from tensorboard.backend.event_processing import plugin_event_multiplexer  # noqa: E402
from tensorboard.plugins.graph import keras_util  # noqa: E402
from tensorboard.plugins.histogram import summary_v2 as histogram_summary  # noqa: E402

KSAVE = os.environ["KSAVE_CLI"]
WORK = os.environ["KSAVE_TB_WORK"]
EPOCHS, BATCH, ROWS, SPLIT = 3, 4, 20, 0.2


def work_dir(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def ksave(*args):
    result = subprocess.run([KSAVE, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


class Logs:
    """A log folder as TensorBoard's dashboards see it."""

    def __init__(self, log_dir):
        self.multiplexer = plugin_event_multiplexer.EventMultiplexer()
        self.multiplexer.AddRunsFromDirectory(log_dir)
        self.multiplexer.Reload()
        self.provider = data_provider.MultiplexerDataProvider(self.multiplexer, log_dir)
        self.ctx = context.RequestContext()

    def runs(self):
        return sorted(run.run_name for run in self.provider.list_runs(self.ctx, experiment_id="x"))

    def scalars(self):
        data = self.provider.read_scalars(self.ctx, experiment_id="x", plugin_name="scalars", downsample=1000)
        return {run: {tag: [(d.step, d.value) for d in points] for tag, points in tags.items()}
                for run, tags in data.items()}

    def histograms(self):
        data = self.provider.read_tensors(self.ctx, experiment_id="x", plugin_name="histograms", downsample=1000)
        return {run: {tag: [(d.step, d.numpy) for d in points] for tag, points in tags.items()}
                for run, tags in data.items()}

    def keras_graph(self, run):
        metadata = self.multiplexer.SummaryMetadata(run, "keras")
        assert metadata.plugin_data.plugin_name == "graph_keras_model"
        assert metadata.plugin_data.content == b"1"
        (event,) = self.multiplexer.Tensors(run, "keras")
        assert event.step == 0
        return json.loads(tf.make_ndarray(event.tensor_proto).item())


def make_model():
    inputs = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(3, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, name="out")(hidden)
    model = keras.Model(inputs, outputs, name="regressor")
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=4, decay_rate=0.5)
    model.compile(keras.optimizers.Adam(schedule), "mse", metrics=["mae"])
    return model


@pytest.fixture(scope="module")
def runs():
    """Both trainings: (folder, ksave logs, tf-keras logs)."""
    root = work_dir("fit")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(ROWS, 4)).astype("float32")
    y = rng.normal(size=(ROWS, 1)).astype("float32")
    np.save(os.path.join(root, "x.npy"), x)
    np.save(os.path.join(root, "y.npy"), y)
    model = make_model()
    model.save(os.path.join(root, "model.h5"))

    ksave("fit", os.path.join(root, "model.h5"), "--x", os.path.join(root, "x.npy"), "--y", os.path.join(root, "y.npy"),
          "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--no-shuffle", "--validation-split", str(SPLIT),
          "--verbose", "0", "--tensorboard", os.path.join(root, "ksave_logs"), "--histogram-freq", "1",
          "--update-freq", "2", "--history", os.path.join(root, "ksave.csv"),
          "--save", os.path.join(root, "trained.h5"))

    # tf-keras calls TensorBoard's batch hooks only when another callback needs them: verbose=1's
    # progress bar does (with verbose=0 tf-keras writes no batch_ scalars at all).
    reference = keras.models.load_model(os.path.join(root, "model.h5"))
    reference.fit(x, y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, validation_split=SPLIT, verbose=1,
                  callbacks=[keras.callbacks.TensorBoard(os.path.join(root, "keras_logs"), histogram_freq=1,
                                                         update_freq=2),
                             keras.callbacks.CSVLogger(os.path.join(root, "keras.csv"))])
    return root, Logs(os.path.join(root, "ksave_logs")), Logs(os.path.join(root, "keras_logs"))


def test_same_runs_tags_and_steps_as_tf_keras(runs):
    _, ours, theirs = runs
    assert ours.runs() == theirs.runs() == ["train", "validation"]
    ours_scalars, theirs_scalars = ours.scalars(), theirs.scalars()
    for run in ("train", "validation"):
        assert sorted(ours_scalars[run]) == sorted(theirs_scalars[run])
        for tag, points in theirs_scalars[run].items():
            assert [s for s, _ in ours_scalars[run][tag]] == [s for s, _ in points], (run, tag)
    assert sorted(ours_scalars["train"]) == ["batch_loss", "batch_mae", "epoch_learning_rate", "epoch_loss", "epoch_mae"]
    assert sorted(ours_scalars["validation"]) == [
        "epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations", "evaluation_mae_vs_iterations"]
    # 16 training rows in batches of 4: batch_ scalars every 2nd batch of the fit's counter.
    assert [s for s, _ in ours_scalars["train"]["batch_loss"]] == [2, 4, 6, 8, 10, 12]
    assert [s for s, _ in ours_scalars["validation"]["evaluation_loss_vs_iterations"]] == [4, 8, 12]


def test_same_values_as_tf_keras(runs):
    _, ours, theirs = runs
    ours_scalars, theirs_scalars = ours.scalars(), theirs.scalars()
    for run, tags in theirs_scalars.items():
        for tag, points in tags.items():
            np.testing.assert_allclose([v for _, v in ours_scalars[run][tag]], [v for _, v in points],
                                       rtol=1e-4, atol=1e-6, err_msg=f"{run}/{tag}")


def test_histograms_as_tensorboard_computes_them(runs):
    root, ours, theirs = runs
    ours_hist, theirs_hist = ours.histograms(), theirs.histograms()
    assert sorted(ours_hist) == sorted(theirs_hist) == ["train"]
    assert sorted(ours_hist["train"]) == sorted(theirs_hist["train"]) == [
        "hidden/bias_0/histogram", "hidden/kernel_0/histogram", "out/bias_0/histogram", "out/kernel_0/histogram"]
    for tag, points in theirs_hist["train"].items():
        assert [s for s, _ in ours_hist["train"][tag]] == [s for s, _ in points] == list(range(EPOCHS))
        for (_, mine), (_, real) in zip(ours_hist["train"][tag], points):
            assert mine.shape == real.shape == (30, 3)
            np.testing.assert_allclose(mine[:, :2], real[:, :2], rtol=1e-4, atol=1e-6, err_msg=tag)
            assert mine[:, 2].sum() == real[:, 2].sum()
    # The last epoch's buckets are exactly those TensorBoard's own summary op computes from the
    # weights ksave saved at the end of that epoch.
    trained = keras.models.load_model(os.path.join(root, "trained.h5"), compile=False)
    for weight in trained.weights:
        tag = weight.name.replace(":", "_") + "/histogram"
        expected = histogram_summary._buckets(tf.constant(weight.numpy()), tf.constant(30)).numpy()
        np.testing.assert_array_equal(ours_hist["train"][tag][-1][1], expected, err_msg=tag)


def test_keras_graph_reads_as_tensorboards_conceptual_graph(runs):
    _, ours, theirs = runs
    mine, real = ours.keras_graph("train"), theirs.keras_graph("train")
    assert mine["class_name"] == real["class_name"] == "Functional"

    def nodes(config):
        graph = keras_util.keras_model_to_graph_def(config)
        return sorted((n.name, n.op, tuple(n.input)) for n in graph.node)

    assert nodes(mine) == nodes(real)
    assert keras.models.model_from_json(json.dumps(mine)).count_params() == 19


def test_csv_history_as_tf_keras_writes_it(runs):
    root, _, _ = runs
    with open(os.path.join(root, "ksave.csv"), newline="") as f:
        mine = f.read()
    with open(os.path.join(root, "keras.csv"), newline="") as f:
        real = f.read()
    assert mine.splitlines()[0] == real.splitlines()[0] == "epoch,loss,mae,val_loss,val_mae"
    assert mine.count("\r\n") == real.count("\r\n") == EPOCHS + 1
    mine_rows = list(csv.DictReader(mine.splitlines()))
    real_rows = list(csv.DictReader(real.splitlines()))
    for a, b in zip(mine_rows, real_rows):
        assert a["epoch"] == b["epoch"]
        for key in ("loss", "mae", "val_loss", "val_mae"):
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-4, abs=1e-6)


def test_a_truncated_event_file_reads_up_to_the_cut(runs):
    root, ours, _ = runs
    folder = work_dir("truncated/train")
    (name,) = os.listdir(os.path.join(root, "ksave_logs", "train"))
    with open(os.path.join(root, "ksave_logs", "train", name), "rb") as f:
        data = f.read()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data[:-7])  # a record cut short, as a crash mid-write leaves it
    def count(path):
        return sum(1 for _ in event_file_loader.EventFileLoader(path).Load())

    assert count(os.path.join(folder, name)) == count(os.path.join(root, "ksave_logs", "train", name)) - 1
    # The last record is the last epoch's last histogram: every scalar is still there.
    assert Logs(os.path.dirname(folder)).scalars()["train"] == ours.scalars()["train"]


PLOT_OPTIONS = [
    ({}, []),
    (dict(show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True),
     ["--show-shapes", "--show-dtype", "--show-layer-activations", "--show-trainable"]),
    (dict(expand_nested=True, show_shapes=True, rankdir="LR"), ["--expand-nested", "--show-shapes", "--rankdir", "LR"]),
    (dict(show_layer_names=False), ["--hide-layer-names"]),
]


def plot_models():
    """A guide-like transfer model (nested, shared layer, two inputs and outputs), a Sequential
    and a wrapper."""
    digits = keras.Input((784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(digits)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    pretrained = keras.Model(digits, x, name="pretrained")
    image, aux = keras.Input((784,), name="img"), keras.Input((3,), name="aux")
    shared = keras.layers.Dense(8, name="shared")
    first = shared(pretrained(image))
    joined = keras.layers.Concatenate()([first, aux, keras.layers.Dense(3)(aux)])
    second = shared(keras.layers.Dense(64)(joined))
    transfer = keras.Model([image, aux], [keras.layers.Dense(10, name="predictions")(second),
                                          keras.layers.Dense(1, name="score")(joined)], name="transfer")
    sequential = keras.Sequential([keras.Input((32,)), keras.layers.Dense(16, activation="tanh"),
                                   keras.layers.Dropout(0.5), keras.layers.Dense(1)], name="stack")
    steps = keras.Input((5, 4), name="steps")
    wrapped = keras.Model(steps, keras.layers.TimeDistributed(keras.layers.Dense(2, name="proj"), name="per_step")(steps))
    return {"transfer": transfer, "sequential": sequential, "wrapped": wrapped}


def dot_structure(text):
    """Nodes as (cluster, label) and edges between them, from DOT text parsed by pydot."""
    import pydot

    (graph,) = pydot.graph_from_dot_data(text)
    labels, clusters = {}, {}

    def walk(g, cluster):
        for node in g.get_nodes():
            if node.get_name() in ("node", "edge", "graph"):
                continue
            labels[node.get_name().strip('"')] = (cluster, node.get("label").strip('"'))
        for sub in g.get_subgraphs():
            clusters[sub.get_name().strip('"')] = {k.strip('"'): v.strip('"') for k, v in sub.get_attributes().items()}
            walk(sub, sub.get_name().strip('"'))

    walk(graph, "")
    edges = sorted((labels[e.get_source().strip('"')], labels[e.get_destination().strip('"')])
                   for sub in [graph] + graph.get_subgraphs() for e in sub.get_edges())
    attributes = {k: str(v).strip('"') for k, v in graph.get_attributes().items()}
    return sorted(labels.values()), edges, clusters, attributes


@pytest.mark.parametrize("name", ["transfer", "sequential", "wrapped"])
def test_plot_matches_tf_keras_model_to_dot(name):
    pytest.importorskip("pydot", reason="pydot (tests/python/requirements.in) is not in the environment")
    folder = work_dir(f"plot_{name}")
    model = plot_models()[name]
    model.save(os.path.join(folder, "model.h5"))
    for keras_options, ksave_flags in PLOT_OPTIONS:
        expected = keras.utils.model_to_dot(model, **keras_options).to_string()
        out = os.path.join(folder, "model.dot")
        ksave("plot", os.path.join(folder, "model.h5"), "-o", out, *ksave_flags)
        with open(out) as f:
            assert dot_structure(f.read()) == dot_structure(expected), (name, keras_options)


def test_plot_draws_svg_and_png():
    folder = work_dir("plot_pictures")
    plot_models()["transfer"].save(os.path.join(folder, "model.h5"))
    for extension, magic in (("svg", b"<?xml"), ("png", b"\x89PNG")):
        out = os.path.join(folder, f"model.{extension}")
        ksave("plot", os.path.join(folder, "model.h5"), "-o", out, "--expand-nested", "--show-shapes")
        with open(out, "rb") as f:
            assert f.read(len(magic)) == magic
