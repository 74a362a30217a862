"""Preprocessing layers with a numeric meaning against real tf-keras 2.21 and Keras 3: Resizing
(bilinear and nearest, crop_to_aspect_ratio), CenterCrop (larger and smaller images than the
target), CategoryEncoding (one_hot, multi_hot, count), Discretization and the Random*
augmentation layers (identity at inference). Keras builds the model and saves it (`.h5` and a
SavedModel from tf-keras, `.keras` from Keras 3); ksave loads each and predicts Keras's numbers;
ksave's `.h5` loads in tf-keras with the same predictions.
"""
import os

import pytest

import interop

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np  # noqa: E402


def build(K):
    L = K.layers
    image = K.Input((7, 9, 3), name="image")
    small = K.Input((3, 4, 2), name="small")
    ids = K.Input((4,), dtype="int64", name="ids")
    one_id = K.Input((1,), dtype="int64", name="one_id")
    values = K.Input((5,), name="values")
    augmented = image
    for layer in (L.RandomFlip(), L.RandomRotation(0.2), L.RandomZoom(0.1), L.RandomTranslation(0.1, 0.1),
                  L.RandomContrast(0.3), L.RandomBrightness(0.2)):
        augmented = layer(augmented)
    outputs = [
        L.Resizing(5, 4, name="bilinear")(augmented),
        L.Resizing(11, 6, name="bilinear_up")(image),
        L.Resizing(4, 4, interpolation="nearest", crop_to_aspect_ratio=True, name="nearest_cropped")(image),
        L.Resizing(3, 5, crop_to_aspect_ratio=True, name="bilinear_cropped")(image),
        L.CenterCrop(4, 5, name="center_crop")(image),
        L.CenterCrop(5, 6, name="center_crop_up")(small),
        L.CategoryEncoding(6, output_mode="multi_hot", name="multi_hot")(ids),
        L.CategoryEncoding(6, output_mode="count", name="count")(ids),
        L.CategoryEncoding(6, output_mode="one_hot", name="one_hot")(one_id),
        L.Discretization(bin_boundaries=[-0.5, 0.0, 0.25, 1.0], name="buckets")(values),
    ]
    return K.Model([image, small, ids, one_id, values], outputs)


def data():
    rng = interop.seeded(41)
    return [rng.uniform(0.0, 255.0, size=(2, 7, 9, 3)).astype(np.float32),
            rng.uniform(-1.0, 1.0, size=(2, 3, 4, 2)).astype(np.float32),
            rng.integers(0, 6, size=(2, 4)).astype(np.int64),
            rng.integers(0, 6, size=(2, 1)).astype(np.int64),
            np.array([[-1.0, -0.5, 0.1, 0.25, 3.0], [0.0, -0.2, 1.0, 0.99, -7.0]], dtype=np.float32)]


def ksave_predict(folder, path, x, tag, outputs):
    inputs = interop.save_arrays(folder, f"x_{tag}", x)
    outs = [os.path.join(folder, f"ksave_{tag}_{i}.npy") for i in range(outputs)]
    interop.run_ksave(folder, f"predict_{tag}", [{"op": "load_model", "path": path, "compile": False},
                                                 {"op": "predict", "inputs": inputs, "outputs": outs}])
    return interop.load_arrays(outs)


def compare(actual, expected, names, what):
    for a, e, name in zip(actual, expected, names):
        interop.assert_close(a, e, f"{what}, output {name}")


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel"])
def test_tf_keras_preprocessing_predicts_in_ksave(file_name):
    import tf_keras as K
    folder = interop.case_dir("preprocessing", "tf_keras")
    model, x = build(K), data()
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, file_name)
    model.save(path, save_format="h5" if file_name.endswith(".h5") else "tf")
    compare(ksave_predict(folder, path, x, file_name.replace(".", "_"), len(expected)), expected, model.output_names,
            f"ksave predict of tf-keras {file_name}")
    if file_name.endswith(".h5"):
        saved = os.path.join(folder, "ksave.h5")
        interop.run_ksave(folder, "save_h5", [{"op": "load_model", "path": path, "compile": False},
                                              {"op": "save_model", "path": saved}])
        compare(K.models.load_model(saved, compile=False).predict(x, verbose=0), expected, model.output_names,
                "tf-keras predict of ksave's .h5")


def test_keras3_preprocessing_predicts_in_ksave():
    import keras as K
    folder = interop.case_dir("preprocessing", "keras3")
    model, x = build(K), data()
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, "model.keras")
    model.save(path)
    compare(ksave_predict(folder, path, x, "keras", len(expected)), expected, model.output_names,
            "ksave predict of Keras 3 .keras")
