"""StringLookup, IntegerLookup and TextVectorization against real tf-keras 2.21 and Keras 3.

Every option that changes the numbers: a mask token, one and several OOV indices (strings hashed
into them by FarmHash Fingerprint64, integers by floormod; Keras 3's salt (SipHash) and
oov_method="farmhash"), output_mode int / one_hot / multi_hot / count / tf_idf (idf_weights,
the OOV weight their mean), pad_to_max_tokens, invert (indices back to strings and integers).
Inputs hold the empty string, the mask and OOV tokens themselves, non-ASCII text, negative and
huge integers. Keras builds and saves (tf-keras .h5 and SavedModel with the vocabulary in the
config; Keras 3 .keras, where adapted layers keep theirs in assets/ and tf_idf's weights in
vars/idf_weights); ksave loads each and predicts Keras's numbers, saves .h5 / .keras, and Keras
loads those and predicts the same. What ksave refuses (a tf-keras SavedModel's adapted
vocabulary, which lives only in its hash table's initializer; saving a lookup into a
SavedModel's traced functions) is refused by name. TextVectorization: each built-in standardize
and split on sentences with capitals, punctuation, non-ASCII letters and odd whitespace, ngrams,
int (output_sequence_length), multi_hot and count, both ways in the same formats.
"""
import os

import pytest

import interop

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np  # noqa: E402

VOCABULARY = ["a", "b", "c", "dd", "é€字", "[UNK]x"]
INTEGERS = [3, -4, 10, 2**40, 7]
IDF = [0.5, 1.25, 2.0, 0.1, 3.0, 0.75]
CORPUS = np.array([["x", "y", "y", ""], ["z", "z", "x", "é"], ["w", "x", "y", "z"]])


def build(K, keras3=False, adapted=False):
    """The model of every test: each lookup option once; Keras 3's own options (salt,
    oov_method) and adapted layers only where asked."""
    L = K.layers
    text = K.Input((5,), dtype="string", name="text")
    word = K.Input((1,), dtype="string", name="word")
    ids = K.Input((4,), dtype="int64", name="ids")
    outputs = [
        L.StringLookup(vocabulary=VOCABULARY, name="plain")(text),
        L.StringLookup(vocabulary=VOCABULARY, mask_token="", name="masked")(text),
        L.StringLookup(vocabulary=VOCABULARY, num_oov_indices=4, name="oov4")(text),
        L.StringLookup(vocabulary=VOCABULARY, num_oov_indices=3, mask_token="", output_mode="count", name="count")(text),
        L.StringLookup(vocabulary=VOCABULARY, output_mode="multi_hot", max_tokens=11, pad_to_max_tokens=True,
                       name="multi_hot")(text),
        L.StringLookup(vocabulary=VOCABULARY, output_mode="one_hot", mask_token="", name="one_hot")(word),
        L.StringLookup(vocabulary=VOCABULARY, output_mode="tf_idf", idf_weights=IDF, name="tf_idf")(text),
        L.StringLookup(vocabulary=["[UNK]"] + VOCABULARY, oov_token="[UNK]", name="specials_given")(text),
        L.IntegerLookup(vocabulary=INTEGERS, name="int_plain")(ids),
        L.IntegerLookup(vocabulary=INTEGERS, mask_token=0, num_oov_indices=3, name="int_oov3")(ids),
        L.IntegerLookup(vocabulary=INTEGERS, output_mode="count", oov_token=-9, name="int_count")(ids),
        L.StringLookup(vocabulary=VOCABULARY, invert=True, mask_token="", name="invert")(ids),
        L.IntegerLookup(vocabulary=INTEGERS, invert=True, name="int_invert")(ids),
    ]
    if keras3:
        outputs += [L.StringLookup(vocabulary=VOCABULARY, num_oov_indices=5, salt=[7, 9], name="salted")(text),
                    L.IntegerLookup(vocabulary=INTEGERS, num_oov_indices=3, oov_method="farmhash", name="farmhash")(ids)]
    if adapted:
        lookup = L.StringLookup(name="adapted", mask_token="")
        lookup.adapt(CORPUS)
        tf_idf = L.StringLookup(name="adapted_tf_idf", output_mode="tf_idf")
        # Not "" as a token: Keras 3's load_assets drops a vocabulary.txt's trailing empty lines,
        # so an adapted tf_idf layer whose last token is "" does not reload even in Keras 3.
        tf_idf.adapt(np.where(CORPUS == "", "v", CORPUS))
        numbers = L.IntegerLookup(name="adapted_ints", num_oov_indices=2)
        numbers.adapt(np.array([[5, 6, 6], [7, 7, 7], [-3, 5, 6]]))
        outputs += [lookup(text), tf_idf(text), numbers(ids)]
    return K.Model([text, word, ids], outputs)


def data():
    rng = interop.seeded(44)
    batch = 40
    pool = [w.encode("utf-8") for w in VOCABULARY + ["", "[UNK]", "zz", "A", "é", "x", "y", "z"]]
    text = np.array([pool[i] for i in rng.integers(0, len(pool), size=batch * 5)]).reshape(batch, 5)
    word = np.array([pool[i] for i in rng.integers(0, len(pool), size=batch)]).reshape(batch, 1)
    ids = rng.integers(-12, 13, size=(batch, 4)).astype(np.int64)
    ids[0] = [2**40, -(2**62), 0, 7]
    ids[1] = [5, 6, -3, -1]
    return [text, word, ids]


def as_comparable(a):
    a = np.asarray(a)
    if a.dtype.kind in "OSU":
        return np.array([v if isinstance(v, bytes) else str(v).encode() for v in a.ravel()], dtype=object).reshape(a.shape)
    return a


def compare(actual, expected, names, what):
    assert len(actual) == len(expected)
    for a, e, name in zip(actual, expected, names):
        a, e = as_comparable(a), as_comparable(e)
        if e.dtype == object:
            assert a.shape == e.shape and (a == e).all(), f"{what}, output {name}: strings differ"
        else:
            interop.assert_close(a, e, f"{what}, output {name}")


def ksave_run(folder, path, x, tag, outputs, save=None, save_format=None):
    inputs = interop.save_arrays(folder, f"x_{tag}", x)
    outs = [os.path.join(folder, f"ksave_{tag}_{i}.npy") for i in range(outputs)]
    steps = [{"op": "load_model", "path": path, "compile": False}, {"op": "predict", "inputs": inputs, "outputs": outs}]
    if save:
        step = {"op": "save_model", "path": save}
        if save_format:
            step["format"] = save_format
        steps.append(step)
    interop.run_ksave(folder, f"predict_{tag}", steps)
    return [np.load(p, allow_pickle=True) for p in outs]


def keras3_inputs(x):
    """Keras 3's predict refuses NumPy's fixed-width bytes arrays: string inputs as tf.string."""
    import tensorflow as tf
    return [tf.constant(a) if a.dtype.kind == "S" else a for a in x]


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel"])
def test_tf_keras_lookups_both_ways(file_name):
    import tf_keras as K
    model, x = build(K), data()
    interop.check_tf_keras_both_ways(K, interop.case_dir("lookup", "tf_keras"), model, x, file_name, ksave_run, compare)


def test_keras3_lookups_both_ways():
    """Keras 3's archive with adapted layers: their vocabularies come from assets/ and the adapted
    tf_idf weights from vars/idf_weights."""
    import keras as K
    folder = interop.case_dir("lookup", "keras3")
    model, x = build(K, keras3=True, adapted=True), data()
    interop.check_keras3_both_ways(K, folder, model, x, ksave_run, compare, keras3_inputs)


def test_adapted_tf_keras_savedmodel_and_savedmodel_saving_are_refused_by_name():
    import tf_keras as K
    folder = interop.case_dir("lookup", "refusals")
    text = K.Input((2,), dtype="string", name="text")
    lookup = K.layers.StringLookup(name="adapted")
    lookup.adapt(CORPUS)
    model = K.Model(text, lookup(text))
    path = os.path.join(folder, "adapted_savedmodel")
    model.save(path, save_format="tf")
    x = interop.save_arrays(folder, "x", [np.array([[b"x", b"q"]])])
    with pytest.raises(interop.DriverError, match=r"'adapted' \(StringLookup\): has no vocabulary"):
        interop.run_ksave(folder, "adapted", [{"op": "load_model", "path": path, "compile": False},
                                              {"op": "predict", "inputs": x, "outputs": [os.path.join(folder, "y.npy")]}])
    listed = build(K)
    source = os.path.join(folder, "listed.h5")
    listed.save(source, save_format="h5")
    with pytest.raises(interop.DriverError, match=r"\(StringLookup\): a vocabulary lookup cannot be traced"):
        interop.run_ksave(folder, "save_savedmodel", [{"op": "load_model", "path": source, "compile": False},
                                                      {"op": "save_model", "path": os.path.join(folder, "sm"),
                                                       "format": "savedmodel"}])


@pytest.mark.parametrize("keras_version", ["tf_keras", "keras3"])
def test_json_with_the_vocabulary_in_the_config(keras_version):
    """model.to_json (no weights file): the vocabularies and tf_idf's idf_weights come from the
    config alone."""
    import importlib
    K = importlib.import_module("tf_keras" if keras_version == "tf_keras" else "keras")
    folder = interop.case_dir("lookup", f"json_{keras_version}")
    model, x = build(K, keras3=keras_version == "keras3"), data()
    expected = model.predict(x if keras_version == "tf_keras" else keras3_inputs(x), verbose=0)
    path = os.path.join(folder, "model.json")
    with open(path, "w") as f:
        f.write(model.to_json())
    inputs = interop.save_arrays(folder, "x", x)
    outs = [os.path.join(folder, f"ksave_{i}.npy") for i in range(len(expected))]
    interop.run_ksave(folder, "predict", [{"op": "model_from_json", "path": path},
                                          {"op": "predict", "inputs": inputs, "outputs": outs}])
    compare([np.load(p, allow_pickle=True) for p in outs], expected, model.output_names, f"ksave predict of {keras_version} to_json")


SENTENCE_WORDS = ["hello", "world", "a", "b", "école", "x_y", "one", "two"]


def build_text(K, adapted=False, keras3=False):
    """ngrams as a tuple only for Keras 3: tf-keras 2.21 cannot reload its own file then (the
    config's list fails its "tuple of integers" check)."""
    L = K.layers
    sentence = K.Input((1,), dtype="string", name="sentence")
    token = K.Input((1,), dtype="string", name="token")
    outputs = [
        L.TextVectorization(vocabulary=SENTENCE_WORDS, output_sequence_length=6, name="tv_int")(sentence),
        L.TextVectorization(vocabulary=SENTENCE_WORDS, standardize="lower", output_sequence_length=9, name="tv_lower")(sentence),
        L.TextVectorization(vocabulary=list("abcdeh"), standardize=None, split="character", output_sequence_length=12,
                            name="tv_characters")(sentence),
        L.TextVectorization(vocabulary=SENTENCE_WORDS, output_mode="multi_hot", name="tv_multi_hot")(sentence),
        L.TextVectorization(vocabulary=SENTENCE_WORDS, standardize="strip_punctuation", output_mode="count", max_tokens=14,
                            pad_to_max_tokens=True, name="tv_count")(sentence),
        L.TextVectorization(vocabulary=SENTENCE_WORDS, split=None, name="tv_whole")(token),
        L.TextVectorization(vocabulary=SENTENCE_WORDS + ["hello world", "a b", "one two", "the cat", "a b c"], ngrams=3,
                            output_sequence_length=15, name="tv_ngrams")(sentence),
        L.TextVectorization(vocabulary=["ab", "a b", "b c", "c a"], ngrams=(2,) if keras3 else 2, split="character", standardize=None,
                            output_mode="count", name="tv_character_bigrams")(sentence),
    ]
    outputs.append(L.TextVectorization(vocabulary=SENTENCE_WORDS, output_mode="tf_idf", idf_weights=[0.5, 1, 2, 0.25, 3, 1.5, 0.75, 4],
                                       name="tv_tf_idf")(sentence))
    if adapted:
        corpus = np.array(["the cat sat", "The dog, the CAT!", "a b c"])
        vectorizer = L.TextVectorization(output_sequence_length=5, name="tv_adapted")
        vectorizer.adapt(corpus)
        weighted = L.TextVectorization(output_mode="tf_idf", ngrams=2, name="tv_adapted_tf_idf")
        weighted.adapt(corpus)
        outputs += [vectorizer(sentence), weighted(sentence)]
    return K.Model([sentence, token], outputs)


def text_data():
    rng = interop.seeded(45)
    pieces = [w.encode("utf-8") for w in SENTENCE_WORDS + ["Hello,", "WORLD!", "ÉCOLE", "x-y", "[UNK]", "the", "cat",
                                                           "a\tb", "b\u00a0a", "'q'", "", "abc"]]
    gaps = [b" ", b"  ", b"\t", b"\n "]
    sentences = []
    for _ in range(30):
        words = [pieces[i] for i in rng.integers(0, len(pieces), size=rng.integers(0, 8))]
        sentences.append(b"".join(w + gaps[rng.integers(0, len(gaps))] for w in words))
    tokens = [pieces[i] for i in rng.integers(0, len(pieces), size=30)]
    return [np.array(sentences).reshape(30, 1), np.array(tokens).reshape(30, 1)]


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel"])
def test_tf_keras_text_vectorization_both_ways(file_name):
    import tf_keras as K
    model, x = build_text(K), text_data()
    interop.check_tf_keras_both_ways(K, interop.case_dir("lookup", "tf_keras_text"), model, x, file_name, ksave_run, compare)


def test_keras3_text_vectorization_both_ways():
    import keras as K
    folder = interop.case_dir("lookup", "keras3_text")
    model, x = build_text(K, adapted=True, keras3=True), text_data()
    interop.check_keras3_both_ways(K, folder, model, x, ksave_run, compare, keras3_inputs)


def test_tf_keras_vocabulary_file():
    """tf-keras keeps a vocabulary file's path in the .h5 config; its lines (special tokens not
    dropped, as TextFileInitializer reads them; " " is a token) are the tokens."""
    import tf_keras as K
    folder = interop.case_dir("lookup", "vocabulary_file")
    vocabulary = os.path.join(folder, "vocabulary.txt")
    with open(vocabulary, "wb") as f:
        f.write("[UNK]\na\nb\né€字\n \nc\n".encode("utf-8"))  # no empty line: TensorFlow refuses those
    text = K.Input((5,), dtype="string", name="text")
    model = K.Model(text, [K.layers.StringLookup(vocabulary=vocabulary, name="from_file")(text),
                           K.layers.StringLookup(vocabulary=vocabulary, num_oov_indices=2, output_mode="count",
                                                 name="from_file_count")(text)])
    x = data()[:1]
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, "model.h5")
    model.save(path, save_format="h5")
    compare(ksave_run(folder, path, x, "file", len(expected)), expected, model.output_names, "ksave predict of a vocabulary file")


def archive_contents(path):
    """An archive's entry names, each layer's config by name (without shared_object_id, which
    Keras numbers per process) and its assets' bytes."""
    import json
    import zipfile
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        config = json.loads(z.read("config.json"))
        assets = {n: z.read(n) for n in names if n.startswith("assets/")}
    layers = {}
    for layer in config["config"]["layers"]:
        c = dict(layer["config"])
        if isinstance(c.get("dtype"), dict):
            c["dtype"] = {k: v for k, v in c["dtype"].items() if k != "shared_object_id"}
        layers[c["name"]] = c
    return names, layers, assets


def test_keras3_adapted_vocabularies_saved_back_as_assets():
    """ksave writes an adapted vocabulary back as Keras 3 writes it: assets/<path>/vocabulary.txt
    (TextVectorization's also under _lookup_layer), vocabulary and idf_weights null in the config,
    tf_idf's weights in vars/idf_weights; a given list stays in the config. The archive's entries,
    configs and assets are Keras 3's own. The exception, an adapted tf_idf lookup with
    pad_to_max_tokens: Keras 3 cannot reload its own archive of it (load_assets passes the padded
    idf_weights with the vocabulary), so ksave keeps its vocabulary and unpadded idf_weights in the
    config, which Keras 3 reloads with the same numbers."""
    import keras as K
    L = K.layers
    folder = interop.case_dir("lookup", "keras3_assets")
    text = K.Input((5,), dtype="string", name="text")
    ids = K.Input((4,), dtype="int64", name="ids")
    sentence = K.Input((1,), dtype="string", name="sentence")
    lookup = L.StringLookup(name="adapted", mask_token="")
    lookup.adapt(CORPUS)
    padded = L.StringLookup(name="padded_tf_idf", output_mode="tf_idf", max_tokens=12, pad_to_max_tokens=True)
    padded.adapt(np.where(CORPUS == "", "v", CORPUS))
    numbers = L.IntegerLookup(name="adapted_ints", num_oov_indices=2)
    numbers.adapt(np.array([[5, 6, 6], [7, 7, 7], [-3, 5, 6]]))
    corpus = np.array(["the cat sat", "The dog, the CAT!", "a b c"])
    vectorizer = L.TextVectorization(output_sequence_length=5, name="tv_adapted")
    vectorizer.adapt(corpus)
    weighted = L.TextVectorization(output_mode="tf_idf", ngrams=2, name="tv_adapted_tf_idf")
    weighted.adapt(corpus)
    listed = L.StringLookup(vocabulary=VOCABULARY, name="listed")
    model = K.Model([text, ids, sentence], [lookup(text), padded(text), numbers(ids), vectorizer(sentence), weighted(sentence),
                                            listed(text)])
    x = [data()[0][:30], data()[2][:30], text_data()[0]]
    expected = model.predict(keras3_inputs(x), verbose=0)
    path = os.path.join(folder, "model.keras")
    model.save(path)
    with pytest.raises(ValueError, match="idf_weights` must be the same length as vocabulary"):
        K.models.load_model(path, compile=False)  # Keras 3's own archive of the padded layer
    saved = os.path.join(folder, "ksave.keras")
    compare(ksave_run(folder, path, x, "assets", len(expected), save=saved), expected, model.output_names,
            "ksave predict of Keras 3 .keras")
    compare(K.models.load_model(saved, compile=False).predict(keras3_inputs(x), verbose=0), expected, model.output_names,
            "Keras 3 predict of ksave's .keras")

    keras_names, keras_layers, keras_assets = archive_contents(path)
    names, layers, assets = archive_contents(saved)
    padded_asset = "assets/layers/string_lookup_1/vocabulary.txt"
    assert padded_asset in keras_names
    assert names == [n for n in keras_names if n != padded_asset]
    assert assets == {n: b for n, b in keras_assets.items() if n != padded_asset}
    assert layers.keys() == keras_layers.keys()
    for name, keras_config in keras_layers.items():
        assert list(layers[name]) == list(keras_config), f"config keys of {name}"
        if name == "padded_tf_idf":
            assert layers[name]["vocabulary"] == padded.get_vocabulary(include_special_tokens=True)
            np.testing.assert_allclose(layers[name]["idf_weights"], padded.idf_weights.numpy()[:7], rtol=1e-6)
            continue
        for key in ("vocabulary", "idf_weights", "vocabulary_size"):
            assert layers[name].get(key) == keras_config.get(key), f"{name}: {key}"
