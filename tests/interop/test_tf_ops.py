"""TF ops applied to Keras tensors in tf-keras functional models (TFOpLambda and SlicingOpLambda
layers) against real tf-keras 2.21, both ways: tf-keras saves `.h5` and a SavedModel, ksave loads
each and predicts tf-keras's numbers; ksave saves both back and tf-keras loads them and predicts
the same. The model uses every kind of call tf-keras records: operators (`+`, `-` with a constant
first argument, `*`, `/`, `**`), tensors passed by keyword (tf.matmul's b), lists as the first
argument (tf.concat, tf.stack), several outputs (tf.split), reductions, reshapes, casts and
`__getitem__` with strides, negative steps, ellipsis and tf.newaxis.
"""
import os

import pytest

import interop

interop.quiet_tensorflow()
import numpy as np  # noqa: E402


def build_model():
    import tensorflow as tf
    import tf_keras as K
    tf.keras.utils.set_random_seed(16)
    x = K.Input((4, 6), name="x")
    d = K.layers.Dense(6, name="dense")(x)
    a = tf.nn.relu6(tf.math.multiply(d + x, 2.0))
    b = 1.0 - tf.math.sigmoid(a) / 3.0
    c = tf.reshape(tf.transpose(b, perm=[0, 2, 1]), (-1, 24))
    parts = tf.split(b, [2, -1], axis=-1)
    stacked = tf.stack([parts[0], parts[1][..., :2]], axis=1)
    sliced = b[:, 1:3, ::-2]
    picked = b[..., tf.newaxis, 0]
    gram = tf.matmul(b, b, transpose_b=True)
    reduced = tf.clip_by_value(tf.reduce_mean(b ** 2, axis=1), 0.1, 0.9)
    joined = tf.concat([c, tf.nn.gelu(c), tf.math.reduce_max(b, axis=[1, 2], keepdims=False)[:, tf.newaxis]], axis=-1)
    normalized = tf.math.l2_normalize(tf.expand_dims(tf.math.reduce_sum(b, axis=-1), -1), axis=1)
    head = K.layers.Dense(3, name="head")(tf.cast(joined, tf.float32))
    model = K.Model(x, [head, stacked, sliced, picked, gram, reduced, normalized], name="tf_ops")
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="module")
def case():
    folder = interop.case_dir("tf_ops", "tf_keras")
    model = build_model()
    x = interop.seeded(16).normal(0.0, 1.0, size=(5, 4, 6)).astype(np.float32)
    layers = {layer.__class__.__name__ for layer in model.layers}
    assert {"TFOpLambda", "SlicingOpLambda"} <= layers, layers
    return folder, model, x, model.predict(x, verbose=0)


def ksave_predict(folder, path, x, tag):
    inputs = interop.save_arrays(folder, f"x_{tag}", [x])
    outs = [os.path.join(folder, f"ksave_{tag}_{i}.npy") for i in range(7)]
    interop.run_ksave(folder, f"predict_{tag}", [{"op": "load_model", "path": path, "compile": False},
                                                 {"op": "predict", "inputs": inputs, "outputs": outs}])
    return interop.load_arrays(outs)


def compare(actual, expected, what):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        interop.assert_close(a, e, f"{what}, output {i}")


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel"])
def test_tf_keras_file_predicts_in_ksave(case, file_name):
    folder, model, x, expected = case
    path = os.path.join(folder, file_name)
    model.save(path, save_format="h5" if file_name.endswith(".h5") else "tf")
    compare(ksave_predict(folder, path, x, file_name.replace(".", "_")), expected, f"ksave predict of tf-keras {file_name}")


@pytest.mark.parametrize("file_name", ["ksave.h5", "ksave_savedmodel"])
def test_ksave_file_loads_in_tf_keras(case, file_name):
    import tf_keras as K
    folder, model, x, expected = case
    source = os.path.join(folder, "source.h5")
    model.save(source, save_format="h5")
    path = os.path.join(folder, file_name)
    interop.run_ksave(folder, f"save_{file_name}", [{"op": "load_model", "path": source, "compile": False},
                                                    {"op": "save_model", "path": path}])
    reloaded = K.models.load_model(path, compile=False)
    assert [layer.__class__.__name__ for layer in reloaded.layers] == [layer.__class__.__name__ for layer in model.layers]
    compare(reloaded.predict(x, verbose=0), expected, f"tf-keras predict of ksave's {file_name}")
