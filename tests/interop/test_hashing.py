"""Hashing against real TensorFlow, tf-keras 2.21 and Keras 3.

The hash functions first: Hashing layers with num_bins = 2**63 - 1 return (nearly) the whole
64-bit hash, so ksave's FarmHash Fingerprint64 and SipHash-2-4 are compared with the values
tf.strings.to_hash_bucket_fast / _strong give for strings of every length from 0 to 300 bytes
(each of FarmHash's length paths, several 64-byte blocks) and for UTF-8 text. Then the layer's
options (mask_value, salt as one integer or two, integer inputs hashed as their decimal text,
output_mode int / one_hot / multi_hot / count): Keras builds and saves the model (tf-keras .h5 and
SavedModel, Keras 3 .keras), ksave loads each and predicts Keras's numbers; ksave saves the model
(.h5, .keras, and a SavedModel whose traced functions hold TensorFlow's AsString and
StringToHashBucket nodes) and Keras (and tf.saved_model.load's serving_default) loads it and
predicts the same. HashedCrossing (tf.sparse.cross_hashed: FingerprintCat64 over string
fingerprints and raw integers) both ways in .h5 and .keras.
"""
import os

import pytest

import interop

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np  # noqa: E402

WIDEST = 2**63 - 1  # tf.strings.to_hash_bucket_*'s largest num_buckets


def words(rng, count, longest):
    """Byte strings of every length 0..longest-1 (cycling), some with multi-byte UTF-8 text; no
    trailing NUL (NumPy's fixed-width strings strip those)."""
    alphabet = list("abcdefghijklmnopqrstuvwxyz0123456789 _-") + ["é", "€", "字"]
    out = []
    for i in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(i % longest)).encode("utf-8")
        out.append(text[: i % longest])  # cut to the byte length, whatever the characters' widths
    return np.array(out, dtype=object).astype(bytes)


def build(K, masks=True):
    """The model of every test; without `masks` for ksave's SavedModel, whose traced functions
    cannot hold a mask_value yet."""
    L = K.layers
    text = K.Input((4,), dtype="string", name="text")
    word = K.Input((1,), dtype="string", name="word")
    ids = K.Input((3,), dtype="int64", name="ids")
    outputs = [
        L.Hashing(WIDEST, name="fingerprint")(text),
        L.Hashing(WIDEST, salt=[133, 137], name="siphash")(text),
        L.Hashing(WIDEST, salt=2**40 + 5, name="siphash_one_salt")(ids),
        L.Hashing(WIDEST, name="decimal")(ids),
        L.Hashing(6, output_mode="count", name="count")(ids),
        L.Hashing(6, output_mode="multi_hot", salt=9, name="multi_hot")(text),
        L.Hashing(5, output_mode="one_hot", name="one_hot")(word),
    ]
    if masks:
        outputs += [L.Hashing(7, mask_value="", name="masked_text")(text),
                    L.Hashing(11, mask_value=3, name="masked_ids")(ids)]
    return K.Model([text, word, ids], outputs)


def data():
    rng = interop.seeded(43)
    batch = 76  # 4 strings a row: lengths 0..300
    text = words(rng, 4 * batch, 301).reshape(batch, 4)
    text[1, 2] = b""  # a masked value besides the empty string of length 0
    word = words(rng, batch, 9).reshape(batch, 1)
    ids = rng.integers(-50, 50, size=(batch, 3)).astype(np.int64)
    ids[0] = [3, 2**62, -(2**62)]
    return [text, word, ids]


def ksave_run(folder, path, x, tag, outputs, save=None):
    inputs = interop.save_arrays(folder, f"x_{tag}", x)
    outs = [os.path.join(folder, f"ksave_{tag}_{i}.npy") for i in range(outputs)]
    steps = [{"op": "load_model", "path": path, "compile": False}, {"op": "predict", "inputs": inputs, "outputs": outs}]
    if save:
        steps.append({"op": "save_model", "path": save})
    interop.run_ksave(folder, f"predict_{tag}", steps)
    return interop.load_arrays(outs)


def compare(actual, expected, names, what):
    assert len(actual) == len(expected)
    for a, e, name in zip(actual, expected, names):
        interop.assert_close(a, e, f"{what}, output {name}")


def test_hash_functions_are_tensorflows():
    """The layer's hashes against TensorFlow's own ops called directly (not through Keras)."""
    import tensorflow as tf
    import tf_keras as K
    folder = interop.case_dir("hashing", "functions")
    x = data()
    model = build(K)
    path = os.path.join(folder, "model.h5")
    model.save(path, save_format="h5")
    got = ksave_run(folder, path, x, "functions", len(model.outputs))
    text, ids = x[0], x[2]
    fast = tf.strings.to_hash_bucket_fast(text, WIDEST).numpy()
    strong = tf.strings.to_hash_bucket_strong(text, WIDEST, key=[133, 137]).numpy()
    decimal = tf.strings.to_hash_bucket_fast(tf.as_string(ids), WIDEST).numpy()
    one_salt = tf.strings.to_hash_bucket_strong(tf.as_string(ids), WIDEST, key=[2**40 + 5, 2**40 + 5]).numpy()
    for actual, expected, what in [(got[0], fast, "Fingerprint64"), (got[1], strong, "SipHash-2-4"),
                                   (got[2], one_salt, "SipHash of decimal text"), (got[3], decimal, "Fingerprint64 of decimal text")]:
        interop.assert_close(actual, expected, what)
    # The comparison means something: distinct strings get distinct hashes, spread over 63 bits.
    assert len(set(fast.ravel().tolist())) == len(set(text.ravel().tolist()))
    assert fast.max() > 2**60


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel"])
def test_tf_keras_hashing_both_ways(file_name):
    import tf_keras as K
    model, x = build(K), data()
    interop.check_tf_keras_both_ways(K, interop.case_dir("hashing", "tf_keras"), model, x, file_name, ksave_run, compare)


def keras3_inputs(x):
    """Keras 3's predict refuses NumPy's fixed-width bytes arrays: string inputs as tf.string."""
    import tensorflow as tf
    return [tf.constant(a) if a.dtype.kind == "S" else a for a in x]


def test_keras3_hashing_both_ways():
    import keras as K
    folder = interop.case_dir("hashing", "keras3")
    model, x = build(K), data()
    interop.check_keras3_both_ways(K, folder, model, x, ksave_run, compare, keras3_inputs)


def test_ksave_savedmodel_hashes_in_tensorflow():
    """ksave's SavedModel: tf-keras's load_model and TensorFlow's serving_default (which runs the
    traced AsString / StringToHashBucket nodes, not ksave) predict Keras's numbers. A mask_value
    is refused by name rather than frozen into the trace."""
    import tensorflow as tf
    import tf_keras as K
    folder = interop.case_dir("hashing", "ksave_savedmodel")
    model, x = build(K, masks=False), data()
    expected = model.predict(x, verbose=0)
    source = os.path.join(folder, "model.h5")
    model.save(source, save_format="h5")
    target = os.path.join(folder, "savedmodel")
    got = ksave_run(folder, source, x, "savedmodel", len(expected))
    interop.run_ksave(folder, "save_savedmodel", [{"op": "load_model", "path": source, "compile": False},
                                                  {"op": "save_model", "path": target, "format": "savedmodel"}])
    compare(got, expected, model.output_names, "ksave predict")
    compare(K.models.load_model(target, compile=False).predict(x, verbose=0), expected, model.output_names,
            "tf-keras predict of ksave's SavedModel")
    serving = tf.saved_model.load(target).signatures["serving_default"]
    result = serving(text=tf.constant(x[0]), word=tf.constant(x[1]), ids=tf.constant(x[2]))
    compare([result[n].numpy() for n in model.output_names], expected, model.output_names,
            "serving_default of ksave's SavedModel")

    masked = build(K, masks=True)
    masked_source = os.path.join(folder, "masked.h5")
    masked.save(masked_source, save_format="h5")
    with pytest.raises(interop.DriverError, match=r"'masked_text' \(Hashing\).*mask_value cannot be traced"):
        interop.run_ksave(folder, "save_masked", [{"op": "load_model", "path": masked_source, "compile": False},
                                                  {"op": "save_model", "path": os.path.join(folder, "masked"),
                                                   "format": "savedmodel"}])


def build_crossing(K, keras3=False):
    """Three features only for tf-keras: Keras 3's functional API takes exactly two."""
    L = K.layers
    word = K.Input((1,), dtype="string", name="word")
    ids = K.Input((1,), dtype="int64", name="ids")
    flat = K.Input((), dtype="int64", name="flat")
    outputs = [L.HashedCrossing(WIDEST, name="cross_widest")((word, ids)),
               L.HashedCrossing(97, name="cross_three")((ids, word) if keras3 else (ids, word, word)),
               L.HashedCrossing(6, output_mode="one_hot", name="cross_one_hot")((word, ids)),
               L.HashedCrossing(11, name="cross_flat")((flat, flat))]
    return K.Model([word, ids, flat], outputs)


def crossing_data():
    x = data()
    ids = x[2][:, :1].copy()
    return [x[1], ids, x[2][:, 1].copy()]


@pytest.mark.parametrize("keras_version", ["tf_keras", "keras3"])
def test_hashed_crossing_both_ways(keras_version):
    import importlib
    K = importlib.import_module("tf_keras" if keras_version == "tf_keras" else "keras")
    folder = interop.case_dir("hashing", f"crossing_{keras_version}")
    model, x = build_crossing(K, keras3=keras_version == "keras3"), crossing_data()
    feed = x if keras_version == "tf_keras" else keras3_inputs(x)
    expected = model.predict(feed, verbose=0)
    path = os.path.join(folder, "model.h5" if keras_version == "tf_keras" else "model.keras")
    if keras_version == "tf_keras":
        model.save(path, save_format="h5")
    else:
        model.save(path)
    saved = os.path.join(folder, "ksave" + os.path.splitext(path)[1])
    compare(ksave_run(folder, path, x, "crossing", len(expected), save=saved), expected, model.output_names,
            f"ksave predict of {keras_version}'s file")
    compare(K.models.load_model(saved, compile=False).predict(feed, verbose=0), expected, model.output_names,
            f"{keras_version} predict of ksave's file")
