"""Training numerics against Keras 3.15 where its optimizers take IndexedSlices: an Embedding's
gradient. Keras 3 (TensorFlow backend) runs its optimizers' ops on the slices one by one
(keras/src/backend/tensorflow/sparse.py), so a row looked up k times gets the sum of k squared
slices where a square is taken, not the square of their sum; tf-keras sums duplicates first.

Keras 3 compiles the model and saves it before the first step; Keras 3 and ksave each load that
`.keras` and take the same ten train_on_batch steps; every loss and every weight after every step
agree to 1e-5 relative (atol 1e-6).
"""
import os

import pytest

import interop
import keras_side as ks
import models

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import keras as K  # noqa: E402

REPORT = interop.Report("keras3_training")
STEPS = 10
O = K.optimizers

# (name, optimizer factory): every optimizer ksave has, as Keras 3 makes it, and clipping (which
# takes the slices before anything sums them).
CASES = [
    ("adam", lambda: O.Adam(0.01)),
    ("adam_amsgrad", lambda: O.Adam(0.01, amsgrad=True)),
    ("sgd", lambda: O.SGD(0.5)),
    ("sgd_nesterov", lambda: O.SGD(0.05, momentum=0.9, nesterov=True)),
    ("rmsprop", lambda: O.RMSprop(0.01)),
    ("rmsprop_centered_momentum", lambda: O.RMSprop(0.01, momentum=0.5, centered=True)),
    ("adagrad", lambda: O.Adagrad(0.1)),
    ("adadelta", lambda: O.Adadelta(1.0)),
    ("adamax", lambda: O.Adamax(0.01)),
    ("nadam", lambda: O.Nadam(0.01)),
    ("adam_clipnorm", lambda: O.Adam(0.01, clipnorm=0.05)),
    ("adam_global_clipnorm", lambda: O.Adam(0.01, global_clipnorm=0.05)),
    ("sgd_clipvalue", lambda: O.SGD(0.5, clipvalue=0.002)),
]


def embedding_mlp(K):
    """8 rows of 5 ids from 30 (zeros at the end of even rows): ids repeat in every batch and some
    rows are not looked up."""
    L = K.layers
    return K.Sequential([K.Input((5,), dtype="int32"), L.Embedding(30, 4), L.Flatten(), L.Dense(3)])


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_ten_embedding_steps_match(index):
    name, make_optimizer = CASES[index]
    folder = interop.case_dir("keras3_training", name)
    K.utils.set_random_seed(700 + index)
    model = embedding_mlp(K)
    model.compile(optimizer=make_optimizer(), loss="mse")
    case = models.Case(name, "training", embedding_mlp, [models.Input((5,), vocab=30)])
    worst = ks.trains_as_keras(K, model, case, folder, "start.keras", 800 + index, STEPS,
                               f"{name}: ksave vs Keras 3 over {STEPS} steps")
    REPORT.add(name.split("_")[0], "keras", "keras3→ksave", f"{STEPS} embedding training steps ({name})", worst)
