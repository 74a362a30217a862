"""Keras 3 operation nodes (keras.ops calls applied to KerasTensors in a functional model: Relu6,
Mean, GetItem, Matmul, Where, ...) against real Keras 3.15 and tf-keras 2.21, both ways.

Keras 3 writes `.keras`; ksave loads it (each operation runs as the TFOpLambda of its TensorFlow
function) and predicts Keras 3's numbers. ksave writes `.keras` back: its config.json equals
Keras 3's and Keras 3 loads it and predicts the same. ksave writes `.h5` (TFOpLambda, tf-keras's
form of the same calls): tf-keras 2.21 loads it and predicts the same. An operation ksave lacks is
refused naming it.
"""
import json
import os
import subprocess
import sys
import zipfile

import pytest

import interop

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np  # noqa: E402
import keras as K  # noqa: E402
from keras import ops  # noqa: E402

REPORT = interop.Report("keras3_ops")


def positive(t):
    return ops.abs(t) + 0.5


# Each output one operation (or a short chain), so that a difference names the operation.
OUTPUTS = {
    "relu": lambda x, y: ops.relu(x),
    "relu6": lambda x, y: ops.relu6(x * 4.0),
    "sigmoid": lambda x, y: ops.sigmoid(x),
    "tanh": lambda x, y: ops.tanh(x),
    "softmax_axis1": lambda x, y: ops.softmax(x, axis=1),
    "log_softmax": lambda x, y: ops.log_softmax(x),
    "gelu_tanh": lambda x, y: ops.gelu(x),
    "gelu_erf": lambda x, y: ops.gelu(x, approximate=False),
    "silu": lambda x, y: ops.silu(x),
    "softplus": lambda x, y: ops.softplus(x),
    "softsign": lambda x, y: ops.softsign(x),
    "selu": lambda x, y: ops.selu(x),
    "elu": lambda x, y: ops.elu(x),
    "leaky_relu": lambda x, y: ops.leaky_relu(x, negative_slope=0.1),
    "exp": lambda x, y: ops.exp(x),
    "log": lambda x, y: ops.log(positive(x)),
    "log1p": lambda x, y: ops.log1p(ops.abs(x)),
    "sqrt": lambda x, y: ops.sqrt(ops.abs(x)),
    "rsqrt": lambda x, y: ops.rsqrt(positive(x)),
    "square": lambda x, y: ops.square(x),
    "negative": lambda x, y: ops.negative(x),
    "sign_floor": lambda x, y: ops.sign(x) + ops.floor(x * 3.0),
    "reciprocal": lambda x, y: ops.reciprocal(positive(x)),
    "erf": lambda x, y: ops.erf(x),
    "mean": lambda x, y: ops.mean(x, axis=1),
    "sum_keepdims": lambda x, y: ops.sum(x, axis=-1, keepdims=True),
    "max_axes": lambda x, y: ops.max(x, axis=(1, 2)),
    "min_keepdims": lambda x, y: ops.min(x, axis=[1, 2], keepdims=True),
    "mean_all": lambda x, y: ops.expand_dims(ops.mean(x), 0) + x[:, 0, 0],
    "var_std": lambda x, y: ops.var(x, axis=1) + ops.std(x, axis=-1, keepdims=True)[:, :, 0][:, :1],
    "reshape": lambda x, y: ops.reshape(x, (-1, 24)),
    "transpose": lambda x, y: ops.transpose(x, (0, 2, 1)),
    "concatenate": lambda x, y: ops.concatenate([x, y], axis=1),
    "stack": lambda x, y: ops.stack([x, y], axis=1),
    "expand_squeeze": lambda x, y: ops.squeeze(ops.expand_dims(x, 1), axis=1) + ops.expand_dims(y, -1)[..., 0],
    "tile": lambda x, y: ops.tile(x, (1, 2, 1)),
    "pad": lambda x, y: ops.pad(x, ((0, 0), (1, 2), (0, 0))),
    "matmul": lambda x, y: ops.matmul(x, ops.transpose(y, (0, 2, 1))),
    "clip": lambda x, y: ops.clip(x, -0.5, 0.5),
    "power": lambda x, y: ops.power(positive(x), 1.5) + x ** 2,
    "divide": lambda x, y: ops.divide(x, positive(y)) + x / 3.0,
    "add_subtract_multiply": lambda x, y: ops.multiply(ops.add(x, y), ops.subtract(x, y)) - 1.0,
    "maximum_minimum": lambda x, y: ops.maximum(x, y) + ops.minimum(x, 0.25),
    "where": lambda x, y: ops.where(ops.greater(x, 0.0), x, y) + ops.where(ops.less_equal(y, 0.2), 1.0, 0.0),
    "getitem_slices": lambda x, y: x[:, 1:3],
    "getitem_ellipsis": lambda x, y: x[..., 0],
    "getitem_newaxis": lambda x, y: x[:, None],
    "getitem_strides": lambda x, y: x[:, ::-1, 1:5:2],
    "log_sigmoid": lambda x, y: ops.log_sigmoid(x * 3.0),
    "cumsum": lambda x, y: ops.cumsum(x, axis=1) + ops.cumsum(y, axis=-1),
    "zeros_ones_like": lambda x, y: ops.zeros_like(x) + ops.ones_like(y, dtype="float32"),
    "argmax": lambda x, y: ops.argmax(x, axis=-1),
    "argmin": lambda x, y: ops.argmin(y, axis=1),
    "split_indices": lambda x, y: ops.concatenate(ops.split(x, [2, 5], axis=-1)[::-1], axis=-1),
    "split_sections": lambda x, y: ops.concatenate(ops.split(y, 2, axis=1)[::-1], axis=1),
}


# Keras 3's operations that tf-keras's formats cannot hold, which ksave runs under names of its own:
# HardSigmoid and HardSilu (hard_swish too), relu6(x + 3) / 6 and x times it, which no TensorFlow
# function computes; Einsum, whose tensors tf-keras's TFOpLambda does not record for tf.einsum.
KERAS3_ONLY = {
    "hard_sigmoid": lambda x, y: ops.hard_sigmoid(x * 4.0),
    "hard_silu": lambda x, y: ops.hard_silu(x * 4.0),
    "hard_swish": lambda x, y: ops.hard_swish(y * 4.0),
    "einsum_product": lambda x, y: ops.einsum("bij,bkj->bik", x, y),
    "einsum_sum": lambda x, y: ops.einsum("bij->bj", x),
    # Keras's TensorFlow backend computes x itself (its letters renamed a, b, c by appearance
    # before tf.einsum sorts them), numpy the transpose; Keras's symbolic shape is numpy's.
    "einsum_implicit": lambda x, y: ops.einsum("bji", x),
}


def build_model():
    x = K.Input((4, 6), name="x")
    y = K.Input((4, 6), name="y")
    outputs = [f(x, y) for f in OUTPUTS.values()]
    return K.Model([x, y], outputs, name="keras3_ops")


def operation_classes(model):
    return sorted(op.__class__.__name__ for op in model.operations if not isinstance(op, (K.layers.InputLayer,)))


@pytest.fixture(scope="module")
def case():
    folder = interop.case_dir("keras3_ops")
    model = build_model()
    rng = interop.seeded(31)
    inputs = [rng.normal(0.0, 1.0, size=(5, 4, 6)).astype(np.float32) for _ in range(2)]
    path = os.path.join(folder, "model.keras")
    model.save(path)
    return {"folder": folder, "model": model, "inputs": inputs, "path": path,
            "expected": [np.asarray(p) for p in model.predict(inputs, verbose=0)]}


def ksave_job(case, name, steps, outputs=OUTPUTS):
    folder = case["folder"]
    inputs = interop.save_arrays(folder, f"x_{name}", case["inputs"])
    outs = [os.path.join(folder, f"ksave_{name}_{i}.npy") for i in range(len(outputs))]
    interop.run_ksave(folder, name, steps + [{"op": "predict", "inputs": inputs, "outputs": outs}])
    return interop.load_arrays(outs)


def compare(actual, expected, what, outputs=OUTPUTS):
    assert len(actual) == len(expected)
    worst = 0.0
    for name, a, e in zip(outputs, actual, expected):
        worst = max(worst, interop.assert_close(a, e, f"{what}, output {name}", rtol=1e-5, atol=1e-5))
    return worst


def test_the_model_is_made_of_operations(case):
    with zipfile.ZipFile(case["path"]) as z:
        config = json.loads(z.read("config.json"))
    modules = {e["module"] for e in config["config"]["layers"]}
    assert {"keras.src.ops.nn", "keras.src.ops.numpy", "keras.src.ops.math"} <= modules, modules
    assert len(set(operation_classes(case["model"]))) >= 40


def test_ksave_predicts_keras3_archive(case):
    got = ksave_job(case, "predict_keras3", [{"op": "load_model", "path": case["path"], "compile": False}])
    worst = compare(got, case["expected"], "ksave predict of Keras 3's .keras")
    REPORT.add("keras.ops", "keras", "keras3→ksave", "predict", worst)


@pytest.fixture(scope="module")
def ksave_wrote(case):
    folder = case["folder"]
    files = {"keras": os.path.join(folder, "ksave.keras"), "h5": os.path.join(folder, "ksave.h5"),
             "savedmodel": os.path.join(folder, "ksave_savedmodel")}
    predicted = ksave_job(case, "save", [{"op": "load_model", "path": case["path"], "compile": False},
                                         {"op": "save_model", "path": files["keras"]},
                                         {"op": "save_model", "path": files["h5"], "format": "h5"},
                                         {"op": "save_model", "path": files["savedmodel"]}])
    return {"files": files, "predicted": predicted}


def test_keras3_loads_ksave_archive(case, ksave_wrote):
    reloaded = K.models.load_model(ksave_wrote["files"]["keras"], compile=False)
    assert operation_classes(reloaded) == operation_classes(case["model"])
    got = [np.asarray(p) for p in reloaded.predict(case["inputs"], verbose=0)]
    compare(got, case["expected"], "Keras 3 predict of ksave's .keras vs Keras 3's own")
    worst = compare(got, ksave_wrote["predicted"], "Keras 3 predict of ksave's .keras vs ksave's")
    REPORT.add("keras.ops", "keras", "ksave→keras3", "predict", worst)


def test_config_json_equals_keras3(case, ksave_wrote):
    with zipfile.ZipFile(case["path"]) as z:
        theirs = json.loads(z.read("config.json"))
    with zipfile.ZipFile(ksave_wrote["files"]["keras"]) as z:
        mine = json.loads(z.read("config.json"))
    interop.assert_same_json(mine["config"]["layers"], theirs["config"]["layers"], "keras3_ops layers")
    REPORT.add("keras.ops", "keras", "keras3→ksave→keras3", "config.json equal")


# tf-keras 2.21 runs in its own process: it cannot share one with Keras 3's `keras` module.
TF_KERAS_PREDICT = """
import sys, numpy as np, tf_keras
model = tf_keras.models.load_model(sys.argv[1], compile=False)
print(sorted({type(l).__name__ for l in model.layers}))
outs = model.predict([np.load(sys.argv[2]), np.load(sys.argv[3])], verbose=0)
for i, o in enumerate(outs):
    np.save(sys.argv[4] + f"_{i}.npy", np.asarray(o))
"""


@pytest.mark.parametrize("fmt", ["h5", "savedmodel"])
def test_tf_keras_loads_ksave_file(case, ksave_wrote, fmt):
    folder = case["folder"]
    x = interop.save_arrays(folder, "x_tf_keras", case["inputs"])
    prefix = os.path.join(folder, f"tf_keras_{fmt}")
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    done = subprocess.run([sys.executable, "-c", TF_KERAS_PREDICT, ksave_wrote["files"][fmt], x[0], x[1], prefix],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "TFOpLambda" in done.stdout and "SlicingOpLambda" in done.stdout, done.stdout
    got = interop.load_arrays([f"{prefix}_{i}.npy" for i in range(len(OUTPUTS))])
    compare(got, case["expected"], f"tf-keras predict of ksave's {fmt} vs Keras 3's")
    worst = compare(got, ksave_wrote["predicted"], f"tf-keras predict of ksave's {fmt} vs ksave's")
    REPORT.add("keras.ops", fmt, "keras3→ksave→tf_keras", "predict", worst)


def test_unknown_operation_is_refused_by_name(case):
    """ksave has no arctan (nor atan2)."""
    folder = case["folder"]
    x = K.Input((4, 6), name="x")
    model = K.Model(x, ops.arctan(x), name="arctan")
    path = os.path.join(folder, "arctan.keras")
    model.save(path)
    with pytest.raises(interop.DriverError) as refused:
        interop.run_ksave(folder, "arctan", [{"op": "load_model", "path": path, "compile": False}])
    assert "keras.src.ops.numpy.Arctan" in str(refused.value) and "no equivalent" in str(refused.value)


@pytest.fixture(scope="module")
def keras3_only(case):
    """KERAS3_ONLY's model as Keras 3 saves it, and ksave's `.keras` of it."""
    folder = case["folder"]
    x, y = K.Input((4, 6), name="x"), K.Input((4, 6), name="y")
    model = K.Model([x, y], [f(x, y) for f in KERAS3_ONLY.values()], name="keras3_only")
    path, written = os.path.join(folder, "keras3_only.keras"), os.path.join(folder, "keras3_only_by_ksave.keras")
    model.save(path)
    predicted = ksave_job(case, "keras3_only", [{"op": "load_model", "path": path, "compile": False},
                                                {"op": "save_model", "path": written}], KERAS3_ONLY)
    return {"model": model, "path": path, "written": written, "predicted": predicted,
            "expected": [np.asarray(p) for p in model.predict(case["inputs"], verbose=0)]}


def test_ksave_runs_keras3_only_operations(case, keras3_only):
    worst = compare(keras3_only["predicted"], keras3_only["expected"], "ksave predict of Keras 3's hard_sigmoid/einsum", KERAS3_ONLY)
    REPORT.add("keras.ops (HardSigmoid, HardSilu, Einsum)", "keras", "keras3→ksave", "predict", worst)


def test_keras3_loads_ksave_archive_of_keras3_only_operations(case, keras3_only):
    with zipfile.ZipFile(keras3_only["path"]) as z:
        theirs = json.loads(z.read("config.json"))
    with zipfile.ZipFile(keras3_only["written"]) as z:
        mine = json.loads(z.read("config.json"))
    interop.assert_same_json(mine["config"]["layers"], theirs["config"]["layers"], "keras3_only layers")
    reloaded = K.models.load_model(keras3_only["written"], compile=False)
    assert operation_classes(reloaded) == operation_classes(keras3_only["model"])
    got = [np.asarray(p) for p in reloaded.predict(case["inputs"], verbose=0)]
    compare(got, keras3_only["expected"], "Keras 3 predict of ksave's .keras vs Keras 3's own", KERAS3_ONLY)
    worst = compare(got, keras3_only["predicted"], "Keras 3 predict of ksave's .keras vs ksave's", KERAS3_ONLY)
    REPORT.add("keras.ops (HardSigmoid, HardSilu, Einsum)", "keras", "ksave→keras3", "predict", worst)


@pytest.mark.parametrize("operation, class_name", [("hard_sigmoid", "HardSigmoid"), ("hard_silu", "HardSilu"),
                                                   ("einsum_product", "Einsum")])
@pytest.mark.parametrize("fmt", ["h5", "savedmodel"])
def test_keras3_only_operations_are_refused_in_tf_keras_formats(case, operation, class_name, fmt):
    """tf-keras 2.21 has no function computing them, or cannot reload tf.einsum's TFOpLambda."""
    folder = case["folder"]
    x, y = K.Input((4, 6), name="x"), K.Input((4, 6), name="y")
    path = os.path.join(folder, f"only_{operation}.keras")
    K.Model([x, y], KERAS3_ONLY[operation](x, y)).save(path)
    target = os.path.join(folder, f"only_{operation}_by_ksave" + (".h5" if fmt == "h5" else ""))
    with pytest.raises(interop.DriverError) as refused:
        interop.run_ksave(folder, f"only_{operation}_{fmt}", [{"op": "load_model", "path": path, "compile": False},
                                                              {"op": "save_model", "path": target, "format": fmt}])
    message = str(refused.value)
    assert f"keras.src.ops.{'numpy' if class_name == 'Einsum' else 'nn'}.{class_name}" in message, message
    assert ("HDF5" if fmt == "h5" else "SavedModel") in message and ".keras" in message, message
    REPORT.add(f"keras.ops {class_name}", fmt, "keras3→ksave→tf_keras", "refused by name")


def onnxruntime_on_ksave_export(folder, name, keras_path, inputs):
    """The outputs ONNX Runtime computes on ksave's ONNX export of the `.keras` at keras_path."""
    ort = pytest.importorskip("onnxruntime")
    path = os.path.join(folder, f"{name}.onnx")
    interop.run_ksave(folder, f"{name}_onnx", [{"op": "load_model", "path": keras_path, "compile": False},
                                              {"op": "save_model", "path": path, "format": "onnx"}])
    session = ort.InferenceSession(path)
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def test_onnx_export_of_keras3_only_operations_runs_in_onnxruntime(case, keras3_only):
    """HardSigmoid (alpha 1/6), HardSigmoid times x, Einsum."""
    got = onnxruntime_on_ksave_export(case["folder"], "keras3_only", keras3_only["path"], case["inputs"])
    worst = compare(got, keras3_only["expected"], "ONNX Runtime on ksave's .onnx vs Keras 3", KERAS3_ONLY)
    REPORT.add("keras.ops (HardSigmoid, HardSilu, Einsum)", "onnx", "keras3→ksave→onnxruntime", "predict", worst)


def test_onnx_export_runs_in_onnxruntime(case, ksave_wrote):
    """ksave's ONNX export of the model (each operation through TFOpLambda's converter) computes
    in ONNX Runtime what Keras 3 does."""
    got = onnxruntime_on_ksave_export(case["folder"], "ksave", case["path"], case["inputs"])
    worst = compare(got, case["expected"], "ONNX Runtime on ksave's .onnx vs Keras 3")
    REPORT.add("keras.ops", "onnx", "keras3→ksave→onnxruntime", "predict", worst)


# tf-keras 2.21's TF ops on Keras tensors (TFOpLambda / SlicingOpLambda), each a function with a
# Keras 3 operation: `x + y`, `1.0 - x`, `x * 2.0`, tf.nn.relu6, tf.nn.gelu (erf form),
# tf.reduce_mean, tf.transpose, tf.matmul, tf.reshape, tf.concat, tf.clip_by_value, `x[:, 1:3]`.
TF_KERAS_MODEL = """
import sys, numpy as np, tensorflow as tf, tf_keras as K
tf.keras.utils.set_random_seed(5)
x = K.Input((4, 6), name="x")
d = K.layers.Dense(6, name="dense")(x)
a = tf.nn.relu6((d + x) * 2.0)
b = 1.0 - tf.nn.gelu(d)
m = tf.matmul(a, tf.transpose(b, perm=[0, 2, 1]))
out = tf.concat([tf.reshape(m, (-1, 16)), tf.reduce_mean(a, axis=1), tf.clip_by_value(b[:, 1:3, 0], -0.5, 0.5)], axis=-1)
model = K.Model(x, out)
model.save(sys.argv[1], save_format="h5")
np.save(sys.argv[2], model.predict(np.load(sys.argv[3]), verbose=0))
"""


def test_tf_keras_tf_ops_go_into_a_keras3_archive(case):
    """tf-keras's .h5 of TF ops → ksave → `.keras`: Keras 3 loads the operations ksave writes for
    the TFOpLambda layers and predicts tf-keras's numbers."""
    folder = case["folder"]
    h5, expected_path = os.path.join(folder, "tf_keras_ops.h5"), os.path.join(folder, "tf_keras_ops_expected.npy")
    x = interop.save_arrays(folder, "x_tf_keras_ops", case["inputs"][:1])
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    done = subprocess.run([sys.executable, "-c", TF_KERAS_MODEL, h5, expected_path, x[0]], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    archive = os.path.join(folder, "tf_keras_ops_by_ksave.keras")
    interop.run_ksave(folder, "tf_keras_ops", [{"op": "load_model", "path": h5, "compile": False},
                                               {"op": "save_model", "path": archive}])
    reloaded = K.models.load_model(archive, compile=False)
    assert {"Relu6", "Gelu", "Matmul", "Transpose", "Concatenate", "Mean", "Clip", "GetItem", "Subtract"} <= \
        set(operation_classes(reloaded)), operation_classes(reloaded)
    worst = interop.assert_close(reloaded.predict(case["inputs"][0], verbose=0), np.load(expected_path),
                                 "Keras 3 predict of ksave's .keras of tf-keras's TF ops", rtol=1e-5, atol=1e-5)
    REPORT.add("keras.ops", "keras", "tf_keras→ksave→keras3", "predict", worst)
