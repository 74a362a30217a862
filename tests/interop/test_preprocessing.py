"""Preprocessing layers with a numeric meaning against real tf-keras 2.21 and Keras 3: Resizing
(bilinear and nearest, crop_to_aspect_ratio), CenterCrop (larger and smaller images than the
target), CategoryEncoding (one_hot, multi_hot, count), Discretization, the Random*
augmentation layers (identity at inference) and RandomCrop (tf-keras smart-resizes at inference,
Keras 3.15 returns the images unchanged); Keras 3's Pipeline, ContrastLimitedAdaptiveHistogramEqualization
and MaxNumBoundingBoxes (on images), both ways through `.keras`. Keras builds the model and saves it (`.h5` and a
SavedModel from tf-keras, `.keras` from Keras 3); ksave loads each and predicts Keras's numbers;
ksave's `.h5` loads in tf-keras with the same predictions.
"""
import json
import os
import zipfile

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
        L.RandomCrop(4, 6, name="random_crop")(image),
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


def keras3_augmentations(K, with_shear=True):
    """Keras 3's own augmentation layers, the images unchanged at inference (as Keras 3.15's), and
    AutoContrast, which computes at inference too.
    Keras 3.15 cannot load its own RandomShear (measured: its from_config rejects the
    x_factor [-0.2, 0.2] its get_config writes), so a model for Keras to read goes without it."""
    L = K.layers
    image = K.Input((7, 9, 3), name="image")
    x = image
    # Equalization reads the input itself: after another layer, Keras 3.15 cannot build the model
    # ("part of a cycle"; measured).
    equalized = L.Equalization(value_range=(0, 255))(image)
    for layer in (L.AugMix(value_range=(0, 255)), L.CutMix(), L.MixUp(),
                  L.RandAugment(value_range=(0, 255)), L.RandomColorDegeneration(0.5),
                  L.RandomColorJitter(value_range=(0, 255), brightness_factor=0.3, hue_factor=0.2),
                  L.RandomElasticTransform(value_range=(0, 255)), L.RandomErasing(value_range=(0, 255)),
                  L.RandomGaussianBlur(value_range=(0, 255)), L.RandomGrayscale(), L.RandomHue(0.3, value_range=(0, 255)),
                  L.RandomInvert(value_range=(0, 255)), L.RandomPerspective(), L.RandomPosterization((1, 4), value_range=(0, 255)),
                  L.RandomSaturation(0.4, value_range=(0, 255)), L.RandomSharpness(0.4, value_range=(0, 255)),
                  L.Solarization(0.3, 0.3, value_range=(0, 255))) + ((L.RandomShear(0.2, 0.2),) if with_shear else ()):
        x = layer(x)
    return K.Model(image, [L.Conv2D(2, 3, name="conv")(x), L.RandomCrop(4, 6, name="random_crop")(x),
                           L.Conv2D(2, 3, name="equalized")(equalized), L.AutoContrast(name="auto_contrast")(image)])


def test_keras3_augmentations_in_ksave_and_back():
    import keras as K
    folder = interop.case_dir("preprocessing", "keras3_augmentations")
    K.utils.set_random_seed(5)
    model, x = keras3_augmentations(K), data()[:1]
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, "model.keras")
    model.save(path)
    compare(ksave_predict(folder, path, x, "keras", len(expected)), expected, model.output_names,
            "ksave predict of Keras 3 .keras")
    model = keras3_augmentations(K, with_shear=False)
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, "model_for_keras.keras")
    model.save(path)
    saved = os.path.join(folder, "ksave.keras")
    interop.run_ksave(folder, "save_keras", [{"op": "load_model", "path": path, "compile": False},
                                             {"op": "save_model", "path": saved}])
    compare(K.models.load_model(saved, compile=False).predict(x, verbose=0), expected, model.output_names,
            "Keras 3 predict of ksave's .keras")


def keras3_pipelines(K):
    """Keras 3's Pipeline (image preprocessing with a Dense, an adapted Normalization, a pipeline in a
    pipeline, one pipeline called twice, an Embedding whose mask reaches the LSTM after it), CLAHE (defaults; value_range (0, 1) with a 3x4 grid and
    clip_limit 2; channels_first without clipping; all with mirrored padding) and MaxNumBoundingBoxes
    on images, alone and in a pipeline. Keras 3.15 cannot call a Pipeline holding a Normalization
    given mean and variance (its build runs in a scratch graph: "out of scope"; measured), so the
    Normalization here is adapted."""
    L = K.layers
    image = K.Input((9, 10, 3), name="image")
    values = K.Input((4,), name="values")
    ids = K.Input((5,), dtype="int32", name="ids")
    normalize = L.Normalization(name="normalize")
    normalize.adapt(interop.seeded(3).normal(2.0, 3.0, size=(16, 4)).astype(np.float32))
    clahe = L.ContrastLimitedAdaptiveHistogramEqualization
    prep = L.Pipeline([L.Rescaling(1 / 255.0), L.Resizing(6, 8), L.CenterCrop(5, 6), L.RandomFlip(), L.Dense(4)], name="prep")
    inner = L.Pipeline([L.Rescaling(2.0), L.Dense(2, name="inner_dense")], name="inner")
    shared = L.Pipeline([L.Dense(4, activation="tanh")], name="shared")
    outputs = [
        prep(image),
        L.Pipeline([normalize, L.Dense(3), inner], name="nested")(values),
        shared(shared(values)),
        L.LSTM(2, name="masked")(L.Pipeline([L.Embedding(10, 3, mask_zero=True)], name="embed")(ids)),
        clahe(name="clahe")(image),
        clahe(value_range=(0, 1), clip_limit=2.0, tile_grid_size=(3, 4), name="clahe_unit")(L.Rescaling(1 / 255.0)(image)),
        clahe(tile_grid_size=(2, 3), clip_limit=0.0, data_format="channels_first", name="clahe_first")(image),
        L.MaxNumBoundingBoxes(max_number=5, name="boxes")(image),
        L.Pipeline([L.MaxNumBoundingBoxes(max_number=3), clahe(tile_grid_size=(3, 3))], name="equalize")(image),
    ]
    return K.Model([image, values, ids], outputs)


def archive_entry(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def weight_paths(path):
    import h5py
    folder = os.path.dirname(path)
    extracted = os.path.join(folder, os.path.basename(path) + ".weights.h5")
    with open(extracted, "wb") as f:
        f.write(archive_entry(path, "model.weights.h5"))
    paths = []
    with h5py.File(extracted, "r") as f:
        f.visititems(lambda name, item: paths.append(name) if isinstance(item, h5py.Dataset) else None)
    return sorted(paths)


def any_batch(build_config):
    """A build_config's shape with its batch dimension free: a layer adapted before it joined the
    pipeline was built on the adapt data (Keras records input_shape [16, 4]), ksave builds it in
    the pipeline ([None, 4]); both build the same variables."""
    shape = (build_config or {}).get("input_shape")
    return [None] + shape[1:] if shape else shape


def pipeline_entries(path):
    """Each Pipeline of config.json as Keras 3 writes it: its keys, its layers' classes and
    build shapes, its calls' keyword arguments."""
    layers = json.loads(archive_entry(path, "config.json"))["config"]["layers"]
    def form(entry):
        return {"keys": list(entry), "config_keys": list(entry["config"]),
                "layers": [(sub["class_name"], any_batch(sub.get("build_config")),
                            form(sub) if sub["class_name"] == "Pipeline" else None) for sub in entry["config"]["layers"]]}
    return {e["name"]: dict(form(e), kwargs=[node["kwargs"] for node in e["inbound_nodes"]])
            for e in layers if e["class_name"] == "Pipeline"}


def keras3_pipelines_data():
    rng = interop.seeded(43)
    return [rng.uniform(0.0, 255.0, size=(2, 9, 10, 3)).astype(np.float32),
            rng.normal(2.0, 3.0, size=(2, 4)).astype(np.float32),
            np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]], dtype=np.int32)]


def test_keras3_pipelines_in_ksave_and_back():
    import keras as K
    folder = interop.case_dir("preprocessing", "keras3_pipelines")
    K.utils.set_random_seed(7)
    model, x = keras3_pipelines(K), keras3_pipelines_data()
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, "model.keras")
    model.save(path)
    inputs = interop.save_arrays(folder, "x", x)
    outs = [os.path.join(folder, f"ksave_{i}.npy") for i in range(len(expected))]
    saved = os.path.join(folder, "ksave.keras")
    interop.run_ksave(folder, "predict_and_save", [{"op": "load_model", "path": path, "compile": False},
                                                   {"op": "predict", "inputs": inputs, "outputs": outs},
                                                   {"op": "save_model", "path": saved}])
    compare(interop.load_arrays(outs), expected, model.output_names, "ksave predict of Keras 3 .keras")
    # ksave writes the archive as Keras 3 does: the same variables at the same paths
    # (layers/pipeline/layers/dense, layers/pipeline_1/layers/pipeline/layers/dense, ...), the
    # same Pipeline configs and call arguments.
    assert weight_paths(saved) == weight_paths(path)
    assert pipeline_entries(saved) == pipeline_entries(path)
    compare(K.models.load_model(saved, compile=False).predict(x, verbose=0), expected, model.output_names,
            "Keras 3 predict of ksave's .keras")


def test_keras3_max_num_bounding_boxes_on_a_dict_is_refused_by_name():
    """MaxNumBoundingBoxes on Keras's dict of images and bounding boxes (what it pads) is a call
    ksave's graphs of tensors cannot hold: the load fails naming the layer."""
    import keras as K
    folder = interop.case_dir("preprocessing", "keras3_bounding_boxes")
    L = K.layers
    images, boxes, labels = K.Input((5, 5, 3)), K.Input((3, 4)), K.Input((3,))
    out = L.MaxNumBoundingBoxes(max_number=4, bounding_box_format="xyxy", name="pad_boxes")(
        {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
    path = os.path.join(folder, "model.keras")
    K.Model([images, boxes, labels], out).save(path)
    with pytest.raises(interop.DriverError, match="MaxNumBoundingBoxes"):
        interop.run_ksave(folder, "load", [{"op": "load_model", "path": path, "compile": False}])


def resize_graphs(K):
    """Every way Keras resizes images in a graph: Resizing (bilinear down and up, nearest, bicubic,
    crop_to_aspect_ratio) and UpSampling2D (bilinear, also channels_first, nearest, bicubic), all
    tf.image.resize with half-pixel centers: ResizeBilinear, ResizeNearestNeighbor and ResizeBicubic
    nodes (Keras 3's nearest UpSampling2D repeats instead)."""
    L = K.layers
    image = K.Input((7, 9, 3), name="image")
    return K.Model(image, [
        L.Resizing(5, 4, name="bilinear")(image),
        L.Resizing(11, 13, name="bilinear_up")(image),
        L.Resizing(4, 12, interpolation="nearest", name="nearest")(image),
        L.Resizing(6, 5, interpolation="bicubic", name="bicubic")(image),
        L.Resizing(3, 5, crop_to_aspect_ratio=True, name="bilinear_cropped")(image),
        L.UpSampling2D((2, 3), interpolation="bilinear", name="upsampled_bilinear")(image),
        L.UpSampling2D(2, interpolation="nearest", name="upsampled_nearest")(image),
        L.UpSampling2D((1, 2), interpolation="bicubic", name="upsampled_bicubic")(image),
        L.UpSampling2D((3, 2), data_format="channels_first", interpolation="bilinear", name="channels_first")(image),
    ])


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel", "model.keras"])
def test_resize_layers_in_ksave_and_back(file_name):
    """The same layers loaded as layers (Resizing and UpSampling2D with every method ksave
    computes): ksave predicts Keras's numbers and Keras reads ksave's file with them."""
    keras3 = file_name.endswith(".keras")
    K = __import__("keras" if keras3 else "tf_keras")
    folder = interop.case_dir("preprocessing", f"resize_layers_{file_name.replace('.', '_')}")
    model, x = resize_graphs(K), data()[:1]

    def run(folder, path, x, tag, outputs, save):
        inputs = interop.save_arrays(folder, f"x_{tag}", x)
        outs = [os.path.join(folder, f"ksave_{tag}_{i}.npy") for i in range(outputs)]
        interop.run_ksave(folder, f"predict_{tag}", [{"op": "load_model", "path": path, "compile": False},
                                                     {"op": "predict", "inputs": inputs, "outputs": outs},
                                                     {"op": "save_model", "path": save}])
        return interop.load_arrays(outs)

    if keras3:
        interop.check_keras3_both_ways(K, folder, model, x, run, compare, lambda x: x)
    else:
        interop.check_tf_keras_both_ways(K, folder, model, x, file_name, run, compare)


@pytest.mark.parametrize("writer", ["tf_keras_savedmodel", "keras3_export"])
def test_resize_graphs_served_by_ksave_give_tensorflows_numbers(writer):
    """ksave serves the serving_default signature of tf-keras's SavedModel and of Keras 3's
    export() of resize_graphs, and gets TensorFlow's own numbers from the signature (to the bit:
    ksave's Resize* ops compute in TensorFlow's float32 order)."""
    import tensorflow as tf
    K = __import__("tf_keras" if writer.startswith("tf_keras") else "keras")
    folder = interop.case_dir("preprocessing", f"resize_{writer}")
    path = os.path.join(folder, "savedmodel")
    model = resize_graphs(K)
    if writer == "keras3_export":
        model.export(path, verbose=False)
    else:
        model.save(path, save_format="tf")
    signature = tf.saved_model.load(path).signatures["serving_default"]
    ops = {node.op for f in signature.graph.as_graph_def().library.function for node in f.node_def}
    assert {"ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic"} <= ops, sorted(ops)
    (input_key,) = signature.structured_input_signature[1].keys()
    x = data()[0]
    inputs = {input_key: interop.save_arrays(folder, "x", [x])[0]}
    output_keys = sorted(signature.structured_outputs.keys())
    outputs = {key: os.path.join(folder, f"ksave_{key}.npy") for key in output_keys}
    interop.run_ksave(folder, "serve", [{"op": "serve", "path": path, "inputs": inputs, "outputs": outputs}])
    theirs = signature(**{input_key: tf.constant(x)})
    for key in output_keys:
        interop.assert_close(np.load(outputs[key]), theirs[key].numpy(), f"ksave serving {writer}, output {key}", 0.0, 0.0)
