"""Sharded checkpoints that data-parallel ksave writes, read by real TensorFlow.

`mpirun -np 3 ksave fit` trains a tf-keras model file on three processes and saves its weights
as a TF checkpoint in three data shards (each rank writes its own, rank 0 the merged index).
TensorFlow must read it: tf.train.load_checkpoint gives every tensor, equal to the weights ksave
saved in the HDF5 model of the same run, and tf-keras's load_weights restores the model and its
optimizer state with assert_consumed(). The same fit in one process gives the same weights within
1e-5: three ranks train like one.
"""
import glob
import os
import subprocess

import pytest

import interop

interop.quiet_tensorflow()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as K  # noqa: E402

MPIRUN = os.environ.get("KSAVE_MPIRUN", "mpirun")
KSAVE = os.environ.get("KSAVE_CLI", "ksave")
RANKS = 3


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}{done.stdout}"
    return done


def keras_model():
    K.utils.set_random_seed(17)
    model = K.Sequential([K.layers.Input((6,)), K.layers.Dense(8, activation="relu"),
                          K.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=K.optimizers.legacy.Adam(learning_rate=0.01), loss="categorical_crossentropy")
    return model


@pytest.fixture(scope="module")
def trained():
    folder = interop.case_dir("mpi_checkpoints")
    for old in glob.glob(os.path.join(folder, "*", "*")):
        os.remove(old)
    rng = interop.seeded(5)
    x = rng.standard_normal((50, 6)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 50)]
    model = keras_model()
    model.save(os.path.join(folder, "model.h5"))
    np.save(os.path.join(folder, "x.npy"), x)
    np.save(os.path.join(folder, "y.npy"), y)
    fit = [KSAVE, "fit", os.path.join(folder, "model.h5"), "--x", os.path.join(folder, "x.npy"), "--y",
           os.path.join(folder, "y.npy"), "--epochs", "4", "--batch-size", "16", "--seed", "5", "--verbose", "0"]
    ranks_dir = os.path.join(folder, "ranks")
    alone_dir = os.path.join(folder, "alone")
    os.makedirs(ranks_dir, exist_ok=True)
    os.makedirs(alone_dir, exist_ok=True)
    run([MPIRUN, str(RANKS)] + fit + ["--save", os.path.join(ranks_dir, "trained.h5"),
                                      "--save-weights", os.path.join(ranks_dir, "weights")])
    run(fit + ["--save", os.path.join(alone_dir, "trained.h5")])
    return {"x": x, "prefix": os.path.join(ranks_dir, "weights"),
            "ranks_model": os.path.join(ranks_dir, "trained.h5"), "alone_model": os.path.join(alone_dir, "trained.h5")}


def test_one_data_shard_per_rank(trained):
    shards = sorted(os.path.basename(p) for p in glob.glob(trained["prefix"] + ".data-*"))
    assert shards == [f"weights.data-{r:05d}-of-{RANKS:05d}" for r in range(RANKS)]
    assert os.path.exists(trained["prefix"] + ".index")


def test_tensorflow_reads_every_tensor(trained):
    reader = tf.train.load_checkpoint(trained["prefix"])
    shapes = reader.get_variable_to_shape_map()
    saved = K.models.load_model(trained["ranks_model"])
    for index, layer in enumerate(l for l in saved.layers if l.weights):
        for weight in layer.weights:
            name = weight.name.split("/")[-1].split(":")[0]
            key = f"layer_with_weights-{index}/{name}/.ATTRIBUTES/VARIABLE_VALUE"
            assert key in shapes, f"{key} missing from the sharded checkpoint (keys: {sorted(shapes)})"
            interop.assert_close(reader.get_tensor(key), weight.numpy(), f"checkpoint {key}", rtol=0, atol=0)
    slots = [k for k in shapes if ".OPTIMIZER_SLOT/optimizer/" in k]
    assert len(slots) == 8, f"Adam's m and v for 4 variables, found {slots}"
    assert reader.get_tensor("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE") == 16


def test_keras_load_weights_consumes_everything(trained):
    model = keras_model()
    model.optimizer._create_all_weights(model.trainable_variables)  # slots exist to take their values
    model.load_weights(trained["prefix"]).assert_consumed()
    saved = K.models.load_model(trained["ranks_model"])
    interop.assert_close(model.predict(trained["x"], verbose=0), saved.predict(trained["x"], verbose=0),
                         "predict after load_weights of the sharded checkpoint")
    assert int(model.optimizer.iterations.numpy()) == 16


def test_three_ranks_train_like_one_process(trained):
    ranks = K.models.load_model(trained["ranks_model"])
    alone = K.models.load_model(trained["alone_model"])
    for a, b in zip(ranks.weights, alone.weights):
        interop.assert_close(a.numpy(), b.numpy(), f"{a.name}: 3 ranks against 1 process", rtol=1e-5, atol=1e-7)
