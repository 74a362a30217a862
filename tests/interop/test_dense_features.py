"""tf-keras 2.21's DenseFeatures (tf.feature_column) against ksave, both ways.

A functional model whose dict inputs feed DenseFeatures over numeric (shape 2), bucketized,
indicator (identity, string and integer vocabulary lists with an OOV bucket) and embedding
columns (combiners mean, sum and sqrtn; identity, vocabulary and hash-bucket ids), crossed
columns (raw string and integer features, a bucketized and an identity column), then a Dense.
The data holds what TensorFlow drops or remaps: -1 and '' (missing values), unknown vocabulary
entries (OOV hash bucket, or default -1 and so dropped), identity values outside the buckets
(default_value). The columns are listed out of name order: DenseFeatures concatenates them
sorted by name. tf-keras saves .h5, a SavedModel and JSON; ksave loads each and predicts
tf-keras's numbers; ksave's .h5, JSON and SavedModel (without traces) load in tf-keras with
ksave's numbers, also after ksave trained the embedding tables.
"""
import json
import os

import pytest

import interop

interop.quiet_tensorflow()
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np  # noqa: E402

KEYS = ["count", "ident", "price", "tag", "user", "word", "year"]  # sorted: the models' input order


def build():
    import tensorflow as tf
    import tf_keras as K
    fc = tf.feature_column
    count_buckets = fc.bucketized_column(fc.numeric_column("count"), boundaries=[0.0, 1.0, 5.0])
    columns = [
        fc.embedding_column(fc.categorical_column_with_hash_bucket("word", 7), dimension=2, combiner="sum"),
        fc.numeric_column("price", shape=(2,)),
        fc.indicator_column(fc.categorical_column_with_vocabulary_list("tag", ["red", "green", "blue"], num_oov_buckets=2)),
        fc.embedding_column(fc.categorical_column_with_vocabulary_list("year", [1999, 2005, 2020], dtype=tf.int64),
                            dimension=3, combiner="sqrtn"),
        count_buckets,
        fc.indicator_column(fc.categorical_column_with_identity("ident", num_buckets=4, default_value=0)),
        fc.embedding_column(fc.categorical_column_with_identity("user", num_buckets=5), dimension=4),  # mean
        # Crosses (tf.sparse.cross_hashed) of raw features, a bucketized and a categorical column.
        fc.indicator_column(fc.crossed_column(["tag", count_buckets], 6)),
        fc.embedding_column(fc.crossed_column(["word", "year"], 11), dimension=2, combiner="sum"),
        fc.embedding_column(fc.crossed_column([fc.categorical_column_with_identity("ident", 4, default_value=0), "tag"], 9),
                            dimension=3),
    ]
    inputs = {
        "count": K.Input((1,), name="count"),
        "ident": K.Input((2,), name="ident", dtype="int64"),
        "price": K.Input((2,), name="price"),
        "tag": K.Input((2,), name="tag", dtype="string"),
        "user": K.Input((3,), name="user", dtype="int64"),
        "word": K.Input((1,), name="word", dtype="string"),
        "year": K.Input((2,), name="year", dtype="int64"),
    }
    features = K.layers.DenseFeatures(columns, name="features")(inputs)
    out = K.layers.Dense(2, name="out")(features)
    model = K.Model(inputs, out)
    rng = interop.seeded(5)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def data():
    rng = interop.seeded(6)
    batch = 24
    x = {
        "count": rng.uniform(-2, 7, size=(batch, 1)).astype(np.float32),
        "ident": rng.integers(-1, 6, size=(batch, 2)).astype(np.int64),  # -1 dropped, 4 and 5 to default 0
        "price": rng.normal(size=(batch, 2)).astype(np.float32),
        "tag": rng.choice(np.array([b"red", b"green", b"blue", b"pink", b"", b"teal"]), size=(batch, 2)),
        "user": rng.integers(-1, 5, size=(batch, 3)).astype(np.int64),
        "word": rng.choice(np.array([b"a", b"bb", b"ccc", b"", b"hello"]), size=(batch, 1)),
        "year": rng.choice(np.array([1999, 2005, 2020, 1, -1]), size=(batch, 2)).astype(np.int64),
    }
    x["user"][0] = -1  # a row without ids: zeros
    x["count"][:4, 0] = [0.0, 1.0, 5.0, -0.5]  # on the boundaries
    return x


def as_list(x):
    return [x[k] for k in KEYS]


def ksave_predict(folder, steps, x, tag):
    inputs = interop.save_arrays(folder, f"x_{tag}", as_list(x))
    out = os.path.join(folder, f"ksave_{tag}.npy")
    interop.run_ksave(folder, tag, steps + [{"op": "predict", "inputs": inputs, "outputs": [out]}])
    return np.load(out)


def load_tf_keras(path):
    import tf_keras as K
    return K.models.load_model(path, compile=False)


def test_config_form_is_tf_keras():
    """What tf-keras writes (measured): dict input_layers and a dict node; the columns sorted."""
    model = build()
    config = json.loads(model.to_json())["config"]
    layer = next(l for l in config["layers"] if l["class_name"] == "DenseFeatures")
    assert isinstance(config["input_layers"], dict)
    assert sorted(layer["inbound_nodes"][0]) == KEYS
    # Measured: tf-keras writes the columns already sorted by name, whatever order they were given in.
    assert [c["class_name"] for c in layer["config"]["feature_columns"]] == [
        "BucketizedColumn", "IndicatorColumn", "EmbeddingColumn", "IndicatorColumn", "NumericColumn", "IndicatorColumn",
        "EmbeddingColumn", "EmbeddingColumn", "EmbeddingColumn", "EmbeddingColumn"]  # count_bucketized, count_bucketized_X_tag, ...
    assert [w.name for w in model.weights][:5] == ["features/ident_X_tag_embedding/embedding_weights:0",
                                                   "features/user_embedding/embedding_weights:0",
                                                   "features/word_X_year_embedding/embedding_weights:0",
                                                   "features/word_embedding/embedding_weights:0",
                                                   "features/year_embedding/embedding_weights:0"]


@pytest.mark.parametrize("file_name", ["model.h5", "savedmodel"])
def test_tf_keras_files_load_in_ksave_and_back(file_name):
    folder = interop.case_dir("dense_features", file_name.replace(".", "_"))
    model, x = build(), data()
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, file_name)
    model.save(path, save_format="h5" if file_name.endswith(".h5") else "tf")
    saved = os.path.join(folder, "ksave.h5")
    got = ksave_predict(folder, [{"op": "load_model", "path": path, "compile": False},
                                 {"op": "save_model", "path": saved}], x, "load")
    interop.assert_close(got, expected, f"ksave predict of tf-keras {file_name}")
    interop.assert_close(load_tf_keras(saved).predict(x, verbose=0), expected, "tf-keras predict of ksave's .h5")


def test_json_both_ways():
    import tf_keras as K
    folder = interop.case_dir("dense_features", "json")
    model, x = build(), data()
    expected = model.predict(x, verbose=0)
    with open(os.path.join(folder, "model.json"), "w") as f:
        f.write(model.to_json())
    weights = os.path.join(folder, "model.weights.h5")
    model.save_weights(weights)
    ours = os.path.join(folder, "ksave.json")
    got = ksave_predict(folder, [{"op": "model_from_json", "path": os.path.join(folder, "model.json")},
                                 {"op": "load_weights", "path": weights}, {"op": "to_json", "path": ours}], x, "json")
    interop.assert_close(got, expected, "ksave predict of tf-keras JSON + weights")
    with open(ours) as f:
        again = K.models.model_from_json(f.read())
    again.load_weights(weights)
    interop.assert_close(again.predict(x, verbose=0), expected, "tf-keras predict of ksave's JSON")


def test_trained_in_ksave_loads_in_tf_keras():
    """ksave trains the embedding tables (and the Dense); tf-keras loads .h5 and a SavedModel
    without traces and predicts ksave's numbers."""
    folder = interop.case_dir("dense_features", "trained")
    model, x = build(), data()
    path = os.path.join(folder, "model.h5")
    model.save(path)
    y = interop.seeded(7).normal(size=(24, 2)).astype(np.float32)
    xs = interop.save_arrays(folder, "train_x", as_list(x))
    ys = interop.save_arrays(folder, "train_y", [y])
    h5, sm = os.path.join(folder, "trained.h5"), os.path.join(folder, "trained_savedmodel")
    steps = [{"op": "load_model", "path": path, "compile": False},
             {"op": "compile", "optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.5}}, "loss": "mse"},
             {"op": "train", "batches": [{"x": xs, "y": ys}] * 3, "out": os.path.join(folder, "train")},
             {"op": "save_model", "path": h5},
             {"op": "save_model", "path": sm, "format": "savedmodel", "save_traces": False}]
    got = ksave_predict(folder, steps, x, "trained")
    before = model.get_weights()
    after = [np.load(os.path.join(folder, "train", "step_2", f"w_{i}.npy")) for i in range(len(before))]
    for i in range(5):  # the five embedding tables moved
        assert np.abs(after[i] - before[i]).max() > 1e-3, f"embedding table {i} did not train"
    assert np.abs(got - model.predict(x, verbose=0)).max() > 1e-3
    for saved in (h5, sm):
        interop.assert_close(load_tf_keras(saved).predict(x, verbose=0), got, f"tf-keras predict of ksave's {saved}")
