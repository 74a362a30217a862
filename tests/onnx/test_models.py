"""Every model of the interop suite (tests/interop/models.py) that has a layer graph, and this
suite's own (export_models.py: the forms the interop models do not reach), built by tf-keras 2.21
and saved as .h5: ksave writes it as ONNX at every opset from 13 to 17, onnx's
checker passes it in full, and ONNX Runtime's outputs equal ksave's predictions. Integer inputs
get masked steps at the end and in the middle (Keras's masking, which the export keeps exactly).

Then one model through every source ksave reads: .h5, SavedModel, a Keras 3 .keras archive,
JSON + .h5 weights, JSON + a TF checkpoint.
"""
import os

import numpy as np
import pytest

import export_models
import interop
import keras_side as ks
import models
import onnx_check

interop.quiet_tensorflow()
import tf_keras as K  # noqa: E402

# Every tf-keras case with a layer graph; the custom-objects one is exported below, refused.
# (A case tf-keras builds only under TF_USE_LEGACY_KERAS=1 is exported from its Keras 3 archive below.)
EXPORTABLE = [c for c in models.CASES if c.tf_keras and not c.subclassed and not c.needs_legacy_keras]
# Its layer and activation come from the interop suite's own plugin, which gives no ONNX form.
REFUSED = {"custom"}
# Bidirectional's ONNX form takes no ConvLSTM layer: its export is refused, naming the wrapper and
# the layer (below).
NO_ONNX_FORM = {"conv_lstm_bidirectional"}
CASES = [c for c in EXPORTABLE if c.name not in REFUSED | NO_ONNX_FORM] + export_models.CASES
OPSETS = range(13, 18)


def inputs_for(case, seed):
    rows = case.batch_size or ks.TEST_ROWS
    x = ks.make_inputs(case, interop.seeded(seed), rows)
    for spec, array in zip(case.inputs, x):
        if spec.vocab and array.ndim == 2 and array.shape[1] > 3:
            array[1, 1] = 0  # a masked step between unmasked ones
            array[3, 0] = 0  # and one at the start
    return x


@pytest.fixture(scope="module", params=range(len(CASES)), ids=[c.name for c in CASES])
def saved(request):
    """The case built by tf-keras, saved as .h5, and ksave's predictions from that file."""
    case = CASES[request.param]
    K.utils.set_random_seed(4000 + request.param)
    model = case.build(K)
    folder = interop.case_dir("onnx_models", case.name)
    path = os.path.join(folder, "model.h5")
    model.save(path)
    x = inputs_for(case, 5000 + request.param)
    expected = onnx_check.ksave_predict(path, x, folder, "ksave", outputs=len(model.outputs))
    return {"case": case, "folder": folder, "h5": path, "x": x, "expected": expected}


@pytest.mark.parametrize("opset", OPSETS)
def test_onnx_runtime_gives_ksaves_outputs(saved, opset):
    target = os.path.join(saved["folder"], f"opset{opset}.onnx")
    onnx_check.convert(saved["h5"], target, opset=opset)
    assert [(o.domain, o.version) for o in onnx_check.check_model(target).opset_import] == [("", opset)]
    onnx_check.assert_onnx_matches(target, saved["x"], saved["expected"], f"{saved['case'].name} opset {opset}")


def refused_export(case, seed, env=None):
    """tf-keras builds `case` (seeded) and saves it as .h5; ksave's ONNX export of it must fail and
    write no file. Returns the model and the error message."""
    K.utils.set_random_seed(seed)
    model = case.build(K)
    folder = interop.case_dir("onnx_models", case.name)
    path = os.path.join(folder, "model.h5")
    model.save(path)
    target = os.path.join(folder, "model.onnx")
    with pytest.raises(onnx_check.KsaveError) as refused:
        onnx_check.convert(path, target, env=env)
    assert not os.path.exists(target)
    return model, str(refused.value)


@pytest.mark.parametrize("case", [c for c in EXPORTABLE if c.name in REFUSED], ids=lambda c: c.name)
def test_a_model_with_layers_onnx_cannot_express_is_refused_listing_them(case):
    """The interop suite's custom model (Interop>ScaledDense twice, a Dense whose activation is
    Interop>scaled_tanh), loaded with the suite's plugin: one error names the three layers and
    writes no file."""
    if not os.environ.get("KSAVE_INTEROP_PLUGINS"):
        pytest.skip("KSAVE_INTEROP_PLUGINS (the interop suite's custom plugin) is not set")
    env = dict(os.environ, KSAVE_PLUGIN_PATH=os.environ["KSAVE_INTEROP_PLUGINS"])
    _, message = refused_export(case, 4100, env)
    assert "3 layers have no ONNX form" in message, message
    assert message.count("(ScaledDense): no ONNX mapping for this class") == 2, message
    assert "(Dense): activation 'Interop>scaled_tanh' has no ONNX form" in message, message


@pytest.mark.parametrize("case", [c for c in EXPORTABLE if c.name in NO_ONNX_FORM], ids=lambda c: c.name)
def test_a_bidirectional_conv_lstm_is_refused_naming_the_layers(case):
    model, message = refused_export(case, 4200)
    wrappers = [layer for layer in model.layers if type(getattr(layer, "forward_layer", None)).__name__.startswith("ConvLSTM")]
    assert len(wrappers) >= 1
    for layer in wrappers:
        inner = layer.forward_layer
        assert (f"'{layer.name}' (Bidirectional): its layer '{inner.name}' ({type(inner).__name__}) is convolutional"
                in message), message


KERAS3_ONLY = [c for c in models.CASES if (not c.tf_keras or c.needs_legacy_keras) and c.keras3 and not c.subclassed]


@pytest.mark.parametrize("case", KERAS3_ONLY, ids=lambda c: c.name)
def test_keras3_archives_convert(case):
    """The cases tf-keras does not build here (Keras 3's own layers: adaptive pooling,
    RMSNormalization; SpectralNormalization), from Keras 3's .keras archive: ONNX Runtime gives
    ksave's outputs."""
    import keras
    keras.utils.set_random_seed(4300)
    model = case.build(keras)
    folder = interop.case_dir("onnx_models", case.name)
    path, target = os.path.join(folder, "model.keras"), os.path.join(folder, "model.onnx")
    model.save(path)
    x = inputs_for(case, 4301)
    onnx_check.convert(path, target)
    onnx_check.assert_onnx_matches(target, x, onnx_check.ksave_predict(path, x, folder, "ksave", outputs=len(model.outputs)),
                                   f"{case.name} from Keras 3's .keras", case.rtol, case.atol)


def test_keras3_image_layers_convert():
    """Keras 3's augmentation layers (the identity at inference), its RandomCrop and AutoContrast
    (tests/interop/test_preprocessing.py's model), from a .keras archive: ONNX Runtime gives
    ksave's outputs."""
    import keras
    import test_preprocessing
    keras.utils.set_random_seed(4400)
    model = test_preprocessing.keras3_augmentations(keras)
    folder = interop.case_dir("onnx_models", "keras3_image_layers")
    path, target = os.path.join(folder, "model.keras"), os.path.join(folder, "model.onnx")
    model.save(path)
    # Images in [0, 1]: on 0-255 values the convolutions' float32 sums cancel to a relative
    # rounding difference of 1.7e-5 between ONNX Runtime and ksave (measured), past the tolerance.
    x = [(test_preprocessing.data()[0] / 255.0).astype(np.float32)]
    onnx_check.convert(path, target)
    onnx_check.assert_onnx_matches(target, x, onnx_check.ksave_predict(path, x, folder, "ksave", outputs=len(model.outputs)),
                                   "Keras 3's image layers")


def test_keras3_pipelines_convert():
    """Keras 3's Pipeline (Resizing, CenterCrop, a Dense, an adapted Normalization, nested, shared,
    an Embedding's mask into an LSTM), CLAHE (default, value_range (0, 1), channels_first, unclipped;
    mirrored padding) and MaxNumBoundingBoxes (tests/interop/test_preprocessing.py's model), from a
    .keras archive: ONNX Runtime gives ksave's outputs."""
    import keras
    import test_preprocessing
    keras.utils.set_random_seed(4500)
    model = test_preprocessing.keras3_pipelines(keras)
    folder = interop.case_dir("onnx_models", "keras3_pipelines")
    path, target = os.path.join(folder, "model.keras"), os.path.join(folder, "model.onnx")
    model.save(path)
    x = test_preprocessing.keras3_pipelines_data()
    onnx_check.convert(path, target)
    onnx_check.assert_onnx_matches(target, x, onnx_check.ksave_predict(path, x, folder, "ksave", outputs=len(model.outputs)),
                                   "Keras 3's pipelines, CLAHE and MaxNumBoundingBoxes")


def keras3_archive(folder):
    import keras
    keras.utils.set_random_seed(7)
    model = models.lstm(keras)
    path = os.path.join(folder, "keras3.keras")
    model.save(path)
    return path


@pytest.fixture(scope="module")
def sources():
    """The lstm case (Embedding with mask_zero, two LSTMs) in every form ksave reads."""
    case = next(c for c in models.CASES if c.name == "lstm")
    folder = interop.case_dir("onnx_sources")
    K.utils.set_random_seed(11)
    model = case.build(K)
    files = {"h5": (os.path.join(folder, "model.h5"), None),
             "savedmodel": (os.path.join(folder, "savedmodel"), None),
             "keras3": (keras3_archive(folder), None),
             "json+h5": (os.path.join(folder, "model.json"), os.path.join(folder, "weights.h5")),
             "json+checkpoint": (os.path.join(folder, "model.json"), os.path.join(folder, "ckpt", "weights"))}
    model.save(files["h5"][0])
    model.save(files["savedmodel"][0], save_format="tf")
    with open(files["json+h5"][0], "w") as f:
        f.write(model.to_json())
    model.save_weights(files["json+h5"][1])
    model.save_weights(files["json+checkpoint"][1])
    return {"case": case, "folder": folder, "files": files, "x": inputs_for(case, 12)}


@pytest.mark.parametrize("source", ["h5", "savedmodel", "keras3", "json+h5", "json+checkpoint"])
def test_every_source_format_converts(sources, source):
    model, weights = sources["files"][source]
    folder = sources["folder"]
    target = os.path.join(folder, source.replace("+", "_") + ".onnx")
    onnx_check.convert(model, target, weights=weights)
    expected = onnx_check.ksave_predict(model, sources["x"], folder, source.replace("+", "_"), weights=weights)
    onnx_check.assert_onnx_matches(target, sources["x"], expected, f"lstm from {source}")
    # The masked LSTMs are Scans (ONNX's LSTM operator cannot skip steps in the middle).
    assert onnx_check.operator_counts(target).get("Scan") == 2


def test_external_data_and_any_batch_size(sources):
    """Initializers beside the model (the >2 GiB path, here from 1 KiB on) load in ONNX Runtime,
    and the symbolic batch takes one row as well as the whole batch."""
    model, _ = sources["files"]["h5"]
    folder = sources["folder"]
    target = os.path.join(folder, "external.onnx")
    onnx_check.convert(model, target, external_data=1024)
    assert os.path.getsize(target + ".data") >= 1024
    expected = onnx_check.ksave_predict(model, sources["x"], folder, "external")
    onnx_check.assert_onnx_matches(target, sources["x"], expected, "lstm with external data")
    one_row = [x[:1] for x in sources["x"]]
    onnx_check.assert_onnx_matches(target, one_row, [e[:1] for e in expected], "lstm, one row")


def converted_and_checked(model, case, input_shape, seed, what):
    """Saves a Keras model as .h5, converts it with ksave, checks ONNX Runtime's outputs against
    ksave's on seeded input, and returns the ONNX file's path and which op makes each value."""
    import onnx
    folder = interop.case_dir(case)
    h5, target = os.path.join(folder, "model.h5"), os.path.join(folder, "model.onnx")
    model.save(h5)
    onnx_check.convert(h5, target)
    x = [interop.seeded(seed).standard_normal(input_shape).astype(np.float32)]
    onnx_check.assert_onnx_matches(target, x, onnx_check.ksave_predict(h5, x, folder, "ksave"), what)
    graph = onnx.load(target).graph
    return target, graph, {out: node.op_type for node in graph.node for out in node.output}


def test_zero_padding_folds_into_the_convolution_after_it():
    """Keras pads images channels-last before a convolution; ksave's graph moves the channels-first
    Transpose before the Pad, so that ONNX Runtime folds the Pad into the Conv's own padding (as in
    tf2onnx's graphs of the same models): none is left in the graph ONNX Runtime runs."""
    import onnx
    import onnxruntime as ort
    K.utils.set_random_seed(13)
    model = K.Sequential([K.layers.Input((9, 7, 3)), K.layers.ZeroPadding2D(((1, 0), (2, 1))),
                          K.layers.Conv2D(4, 3), K.layers.ZeroPadding2D(1), K.layers.Cropping2D(((0, 1), (1, 0)))])
    target, graph, made_by = converted_and_checked(model, "onnx_padding", (5, 9, 7, 3), 14, "padded convolution")
    # The first Pad reads the input's Transpose; the second pads what the convolution left
    # channels-first, and goes to a Slice (nothing to fold into), in place.
    assert [made_by.get(node.input[0]) for node in graph.node if node.op_type == "Pad"] == ["Transpose", "Conv"]
    options = ort.SessionOptions()
    options.optimized_model_filepath = os.path.join(os.path.dirname(target), "optimized.onnx")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    ort.InferenceSession(target, options, providers=["CPUExecutionProvider"])
    optimized = [node.op_type for node in onnx.load(options.optimized_model_filepath).graph.node]
    assert optimized.count("Pad") == 1, optimized


def test_image_normalization_is_held_channels_first():
    """Normalization over an image's channels (EfficientNet's input) runs channels-first, where the
    convolution after it reads it: ONNX Runtime's outputs equal ksave's, and no Transpose sits
    between the normalization and the convolution."""
    K.utils.set_random_seed(15)
    norm = K.layers.Normalization(mean=[0.5, -1.0, 2.0], variance=[0.25, 4.0, 9.0])
    model = K.Sequential([K.layers.Input((6, 5, 3)), norm, K.layers.Conv2D(4, 3)])
    _, graph, made_by = converted_and_checked(model, "onnx_image_normalization", (5, 6, 5, 3), 16, "normalized image")
    conv = next(node for node in graph.node if node.op_type == "Conv")
    assert made_by[conv.input[0]] == "Mul", [n.op_type for n in graph.node]


def test_keras3_lookups_convert():
    """StringLookup and IntegerLookup in output_mode int with one OOV index (a listed vocabulary,
    with a mask token, with the special tokens listed first, adapted: from the archive's assets)
    become ai.onnx.ml LabelEncoders: ONNX Runtime gives Keras 3's indices, and ksave's."""
    import keras
    import test_lookup
    L = keras.layers
    text = keras.Input((5,), dtype="string", name="text")
    ids = keras.Input((4,), dtype="int64", name="ids")
    adapted = L.StringLookup(mask_token="", name="adapted")
    adapted.adapt(test_lookup.CORPUS)
    numbers = L.IntegerLookup(name="adapted_ints")
    numbers.adapt(np.array([[5, 6, 6], [7, 7, 7], [-3, 5, 6]]))
    vocabulary, integers = test_lookup.VOCABULARY, test_lookup.INTEGERS
    model = keras.Model([text, ids], [
        L.StringLookup(vocabulary=vocabulary, name="plain")(text),
        L.StringLookup(vocabulary=vocabulary, mask_token="", name="masked")(text),
        L.StringLookup(vocabulary=["[UNK]"] + vocabulary, oov_token="[UNK]", name="specials_given")(text),
        adapted(text),
        L.IntegerLookup(vocabulary=integers, name="int_plain")(ids),
        L.IntegerLookup(vocabulary=integers, mask_token=0, oov_token=-9, name="int_masked")(ids),
        numbers(ids),
    ])
    data = test_lookup.data()
    x = [data[0], data[2]]
    expected = model.predict(test_lookup.keras3_inputs(x), verbose=0)
    folder = interop.case_dir("onnx_models", "keras3_lookups")
    path, target = os.path.join(folder, "model.keras"), os.path.join(folder, "model.onnx")
    model.save(path)
    onnx_check.convert(path, target)
    assert onnx_check.operator_counts(target).get("LabelEncoder") == 7
    onnx_check.assert_onnx_matches(target, x, expected, "Keras 3's lookups", rtol=0, atol=0)
    interop.assert_all_close(onnx_check.ksave_predict(path, x, folder, "ksave", outputs=len(expected)), expected,
                             "ksave predict of Keras 3's lookups", 0, 0)
