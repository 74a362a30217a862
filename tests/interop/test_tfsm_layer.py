"""Keras 3's TFSMLayer (a SavedModel's signature as a layer) both ways with Keras 3.15: a Keras 3
model holding one over a tf-keras SavedModel and over a Keras 3 `export()`, its SavedModel
variables fine-tuned so that the archive's values differ from the SavedModel's. ksave loads
Keras's `.keras` (the SavedModel at the config's relative filepath, resolved against the working
directory as Keras does; the variables from model.weights.h5) with Keras's numbers, writes the
same config.json entry and weight paths, and Keras 3 reads ksave's `.keras` back (only with
safe_mode=False, as it reads its own) with the same numbers. A missing SavedModel is an error
naming the path."""
import contextlib
import json
import os
import shutil

import numpy as np
import pytest

import interop
from test_preprocessing import archive_entry, weight_paths

interop.quiet_tensorflow()


@contextlib.contextmanager
def working_directory(folder):
    """Keras and ksave both resolve the relative filepath from the process's directory."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def write_saved_model(source, folder):
    """The SavedModel the layer wraps, and the endpoint Keras's users call for it: tf-keras's
    serving_default, Keras 3 export()'s default `serve`."""
    path = os.path.join(folder, "saved_model")
    shutil.rmtree(path, ignore_errors=True)
    if source == "tf_keras_savedmodel":
        import tf_keras as T
        T.utils.set_random_seed(3)
        model = T.Sequential([T.Input((4,)), T.layers.Dense(5, activation="tanh"), T.layers.Dense(3)])
        model.save(path, save_format="tf")
        return "serving_default"
    import keras as K
    K.utils.set_random_seed(3)
    model = K.Sequential([K.Input((4,)), K.layers.Dense(5, activation="relu"),
                          K.layers.BatchNormalization(), K.layers.Dense(3)])
    model.export(path)
    return "serve"


def tfsm_entries(path):
    return [e for e in json.loads(archive_entry(path, "config.json"))["config"]["layers"] if e["class_name"] == "TFSMLayer"]


@pytest.mark.parametrize("source", ["tf_keras_savedmodel", "keras3_export"])
def test_tfsm_layer_in_ksave_and_back(source):
    import keras as K
    folder = interop.case_dir("tfsm_layer", source)
    endpoint = write_saved_model(source, folder)
    x = interop.seeded(5).normal(size=(6, 4)).astype(np.float32)
    with working_directory(folder):
        layer = K.layers.TFSMLayer("saved_model", call_endpoint=endpoint, name="wrapped")
        inputs = K.Input((4,), name="x")
        wrapped = layer(inputs)
        outputs = K.layers.Dense(2, name="head")(wrapped if not isinstance(wrapped, dict) else list(wrapped.values())[0])
        model = K.Model(inputs, outputs)
        # Fine-tuned: the archive's values, not the SavedModel's, are the layer's.
        for w in layer.weights:
            w.assign(w.numpy() + 0.25)
        expected = model.predict(x, verbose=0)
        model.save("model.keras")
        data = interop.save_arrays(folder, "x", [x])
        interop.run_ksave(folder, "predict_and_save", [{"op": "load_model", "path": "model.keras", "compile": False},
                                                       {"op": "predict", "inputs": data, "outputs": ["ksave_0.npy"]},
                                                       {"op": "save_model", "path": "ksave.keras"}])
        interop.assert_close(np.load("ksave_0.npy"), expected, f"ksave predict of Keras 3's TFSMLayer over a {source}")
        assert tfsm_entries("ksave.keras") == tfsm_entries("model.keras")
        assert weight_paths("ksave.keras") == weight_paths("model.keras")
        reread = K.models.load_model("ksave.keras", compile=False, safe_mode=False)
        interop.assert_close(reread.predict(x, verbose=0), expected, "Keras 3 predict of ksave's .keras")
        # Keras's values are not the SavedModel's own (the fine-tuning is kept in the archive).
        fresh = K.layers.TFSMLayer("saved_model", call_endpoint=endpoint)
        assert not np.allclose(fresh.weights[0].numpy(), reread.get_layer("wrapped").weights[0].numpy())


def test_tfsm_layer_without_its_saved_model_is_refused_naming_the_path():
    folder = interop.case_dir("tfsm_layer", "missing")
    source = interop.case_dir("tfsm_layer", "tf_keras_savedmodel")
    if not os.path.exists(os.path.join(source, "model.keras")):
        pytest.skip("needs test_tfsm_layer_in_ksave_and_back[tf_keras_savedmodel] first")
    shutil.copy(os.path.join(source, "model.keras"), os.path.join(folder, "model.keras"))
    with working_directory(folder):  # no saved_model/ here
        with pytest.raises(interop.DriverError, match=r"\(TFSMLayer\): no SavedModel at filepath 'saved_model'"):
            interop.run_ksave(folder, "load", [{"op": "load_model", "path": "model.keras", "compile": False}])
