"""Training numerics: ksave and tf-keras 2.21 start from the same weights and data (tf-keras's
compiled `.h5`, saved before the first step, which both load) and take ten train_on_batch steps
each; the loss of every step and every weight after every step agree to 1e-5 relative (atol 1e-6).

Every optimizer ksave has, each with two losses, plus schedules, clipping and regularizers.
The largest difference per optimizer goes to the report (tests/interop/summarize.py).
"""

import pytest

import interop
import keras_side as ks
import models

interop.quiet_tensorflow()
import numpy as np  # noqa: E402
import tf_keras as K  # noqa: E402

REPORT = interop.Report("training_numerics")
STEPS = 10

O = K.optimizers
S = K.optimizers.schedules


def small_mlp(regularizer=None, activation="softmax"):
    def build(K):
        L = K.layers
        return K.Sequential([K.Input((6,)), L.Dense(8, activation="tanh", kernel_regularizer=regularizer),
                             L.Dense(3, activation=activation)])
    return build


def embedding_mlp(K):
    """An Embedding read by nothing but its lookup: TensorFlow hands the optimizer its gradient as
    IndexedSlices. 8 rows of 5 ids from 30 (zeros at the end of even rows) repeat ids in every
    batch and leave some rows out."""
    L = K.layers
    return K.Sequential([K.Input((5,), dtype="int32"), L.Embedding(30, 4), L.Flatten(), L.Dense(3)])


EMBEDDING_IDS = [models.Input((5,), vocab=30)]

# (name, optimizer factory, loss, model builder[, inputs: float features of 6 when left out])
CASES = [
    ("sgd_mse", lambda: O.SGD(0.1), "mse", small_mlp(activation=None)),
    ("sgd_cce", lambda: O.SGD(0.1), "categorical_crossentropy", small_mlp()),
    ("sgd_momentum_mae", lambda: O.SGD(0.05, momentum=0.9), "mae", small_mlp(activation=None)),
    ("sgd_nesterov_scce", lambda: O.SGD(0.05, momentum=0.9, nesterov=True), "sparse_categorical_crossentropy", small_mlp()),
    ("adam_mse", lambda: O.Adam(0.01), "mse", small_mlp(activation=None)),
    ("adam_cce", lambda: O.Adam(0.01), "categorical_crossentropy", small_mlp()),
    ("adam_amsgrad_huber", lambda: O.Adam(0.01, amsgrad=True), "huber", small_mlp(activation=None)),
    ("rmsprop_mse", lambda: O.RMSprop(0.01), "mse", small_mlp(activation=None)),
    ("rmsprop_centered_momentum_bce", lambda: O.RMSprop(0.01, momentum=0.5, centered=True), "binary_crossentropy",
     small_mlp(activation="sigmoid")),
    ("adagrad_mse", lambda: O.Adagrad(0.1), "mse", small_mlp(activation=None)),
    ("adagrad_cce", lambda: O.Adagrad(0.1, initial_accumulator_value=0.5), "categorical_crossentropy", small_mlp()),
    ("adadelta_mse", lambda: O.Adadelta(1.0, rho=0.9), "mse", small_mlp(activation=None)),
    ("adadelta_scce", lambda: O.Adadelta(1.0), "sparse_categorical_crossentropy", small_mlp()),
    ("adamax_mse", lambda: O.Adamax(0.01), "mse", small_mlp(activation=None)),
    ("adamax_log_cosh", lambda: O.Adamax(0.01), "log_cosh", small_mlp(activation=None)),
    ("nadam_mse", lambda: O.Nadam(0.01), "mse", small_mlp(activation=None)),
    ("nadam_cce", lambda: O.Nadam(0.01), "categorical_crossentropy", small_mlp()),
    ("legacy_adam_mse", lambda: O.legacy.Adam(0.01), "mse", small_mlp(activation=None)),
    ("legacy_rmsprop_cce", lambda: O.legacy.RMSprop(0.01, momentum=0.3), "categorical_crossentropy", small_mlp()),
    ("legacy_sgd_nesterov_mse", lambda: O.legacy.SGD(0.05, momentum=0.9, nesterov=True), "mse", small_mlp(activation=None)),
    ("legacy_nadam_mse", lambda: O.legacy.Nadam(0.01), "mse", small_mlp(activation=None)),
    ("legacy_adagrad_mae", lambda: O.legacy.Adagrad(0.1), "mae", small_mlp(activation=None)),
    ("legacy_adadelta_mse", lambda: O.legacy.Adadelta(1.0), "mse", small_mlp(activation=None)),
    ("legacy_adamax_mse", lambda: O.legacy.Adamax(0.01), "mse", small_mlp(activation=None)),
    ("adam_exponential_decay", lambda: O.Adam(S.ExponentialDecay(0.02, decay_steps=3, decay_rate=0.5)), "mse",
     small_mlp(activation=None)),
    ("sgd_piecewise_constant", lambda: O.SGD(S.PiecewiseConstantDecay([3, 6], [0.1, 0.05, 0.01])), "mse",
     small_mlp(activation=None)),
    ("legacy_sgd_inverse_time", lambda: O.legacy.SGD(S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5)), "mse",
     small_mlp(activation=None)),
    ("adam_clipnorm", lambda: O.Adam(0.01, clipnorm=0.05), "mse", small_mlp(activation=None)),
    ("sgd_clipvalue", lambda: O.SGD(0.1, clipvalue=0.01), "mse", small_mlp(activation=None)),
    ("rmsprop_global_clipnorm", lambda: O.RMSprop(0.01, global_clipnorm=0.1), "mse", small_mlp(activation=None)),
    ("legacy_adam_clipnorm", lambda: O.legacy.Adam(0.01, clipnorm=0.05), "mse", small_mlp(activation=None)),
    ("sgd_l2_regularizer", lambda: O.SGD(0.1), "mse", small_mlp(K.regularizers.l2(0.05), activation=None)),
    ("adam_l1_l2_regularizer", lambda: O.Adam(0.01), "categorical_crossentropy",
     small_mlp(K.regularizers.l1_l2(0.01, 0.02))),
    # IndexedSlices gradients: the new optimizers sum duplicate ids first and update every row; the
    # legacy ones' sparse kernels (after summing) touch only the looked-up rows of some slots.
    ("adam_embedding", lambda: O.Adam(0.01), "mse", embedding_mlp, EMBEDDING_IDS),
    ("legacy_adam_embedding", lambda: O.legacy.Adam(0.01), "mse", embedding_mlp, EMBEDDING_IDS),
    ("rmsprop_embedding", lambda: O.RMSprop(0.01), "mse", embedding_mlp, EMBEDDING_IDS),
    ("adagrad_embedding", lambda: O.Adagrad(0.1), "mse", embedding_mlp, EMBEDDING_IDS),
    ("legacy_rmsprop_momentum_embedding", lambda: O.legacy.RMSprop(0.01, momentum=0.5), "mse", embedding_mlp,
     EMBEDDING_IDS),
    ("legacy_rmsprop_embedding", lambda: O.legacy.RMSprop(0.01), "mse", embedding_mlp, EMBEDDING_IDS),
    ("legacy_sgd_momentum_embedding", lambda: O.legacy.SGD(0.05, momentum=0.9), "mse", embedding_mlp, EMBEDDING_IDS),
    ("legacy_nadam_embedding", lambda: O.legacy.Nadam(0.01), "mse", embedding_mlp, EMBEDDING_IDS),
    ("legacy_adamax_embedding", lambda: O.legacy.Adamax(0.01), "mse", embedding_mlp, EMBEDDING_IDS),
    ("legacy_adadelta_embedding", lambda: O.legacy.Adadelta(1.0), "mse", embedding_mlp, EMBEDDING_IDS),
    # Clipping takes the slices before anything sums them: the norm of every looked-up slice, each
    # slice's values clipped.
    ("adam_clipnorm_embedding", lambda: O.Adam(0.01, clipnorm=0.05), "mse", embedding_mlp, EMBEDDING_IDS),
    ("sgd_clipvalue_embedding", lambda: O.SGD(0.5, clipvalue=0.002), "mse", embedding_mlp, EMBEDDING_IDS),
]


def optimizer_name(case_name):
    return case_name.split("_")[0] if not case_name.startswith("legacy") else "legacy " + case_name.split("_")[1]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_ten_steps_match(index):
    name, make_optimizer, loss, build, *inputs = CASES[index]
    folder = interop.case_dir("training", name)
    K.utils.set_random_seed(500 + index)
    model = build(K)
    model.compile(optimizer=make_optimizer(), loss=loss)
    case = models.Case(name, "training", build, inputs[0] if inputs else [models.Input((6,))], loss=loss)
    worst = ks.trains_as_keras(K, model, case, folder, "start.h5", 600 + index, STEPS,
                               f"{name}: ksave vs tf-keras over {STEPS} steps")
    REPORT.add(optimizer_name(name), "h5", "tf-keras→ksave", f"{STEPS} training steps ({name})", worst)
