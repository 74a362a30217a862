"""Attention's score modes against real tf-keras 2.21 and Keras 3, with weights no initializer
gives: the concat score's weight (`concat_score_weight`, initialized to 1) and the scale set to
values that change the outputs. ksave's attention suite checks formulas written by the same hand as
the layer; here the numbers come from Keras itself. Keras saves the model (.h5 from tf-keras,
.keras from Keras 3), ksave loads it and predicts.
"""
import os

import pytest

import interop

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np  # noqa: E402

# (name, Attention arguments, its weights in layer.weights order (None: the layer has none), key input)
CASES = [
    ("concat", {"score_mode": "concat"}, {"concat_score_weight": 0.37}, False),
    ("concat_scaled", {"score_mode": "concat", "use_scale": True}, {"scale": 1.6, "concat_score_weight": -0.55}, False),
    ("concat_scaled_with_key", {"score_mode": "concat", "use_scale": True}, {"scale": 0.7, "concat_score_weight": 2.5}, True),
    ("dot_scaled", {"score_mode": "dot", "use_scale": True}, {"scale": 0.45}, False),
]


def build(K, args, with_key):
    L = K.layers
    q = K.Input((4, 6), name="query")
    v = K.Input((5, 6), name="value")
    inputs = [q, v]
    if with_key:
        inputs.append(K.Input((5, 6), name="key"))
    att = L.Attention(name="attention", **args)
    return K.Model(inputs, att(inputs)), att


def set_named_weights(layer, values):
    """Sets each weight by its short name, checking that the layer has exactly those."""
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    assert sorted(names) == sorted(values), f"Attention's weights are {names}, the case sets {sorted(values)}"
    layer.set_weights([np.array(values[n], dtype=np.float32).reshape(w.shape) for n, w in zip(names, layer.weights)])


def check(K, framework, name, args, weights, with_key, file_name):
    folder = interop.case_dir("attention_scores", framework, name)
    model, att = build(K, args, with_key)
    set_named_weights(att, weights)
    rng = interop.seeded(77)
    x = [rng.normal(0.0, 1.0, size=(3,) + tuple(i.shape[1:])).astype(np.float32) for i in model.inputs]
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, file_name)
    model.save(path)
    inputs = interop.save_arrays(folder, "x", x)
    out = os.path.join(folder, "ksave_y.npy")
    interop.run_ksave(folder, "predict", [{"op": "load_model", "path": path, "compile": False},
                                          {"op": "predict", "inputs": inputs, "outputs": [out]}])
    interop.assert_close(np.load(out), expected, f"{framework} Attention {name}: ksave predict of {file_name}")


@pytest.mark.parametrize("name,args,weights,with_key", CASES, ids=[c[0] for c in CASES])
def test_tf_keras_attention(name, args, weights, with_key):
    import tf_keras as K
    check(K, "tf_keras", name, args, weights, with_key, "model.h5")


@pytest.mark.parametrize("name,args,weights,with_key", CASES, ids=[c[0] for c in CASES])
def test_keras3_attention(name, args, weights, with_key):
    import keras as K
    check(K, "keras3", name, args, weights, with_key, "model.keras")
