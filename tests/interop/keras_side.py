"""What the real Keras side of every interop case does: seeded data, compile, train and record.

Works with `tf_keras` (Keras 2) and Keras 3 alike; `K` is the module.
"""
import json
import os

import numpy as np

import interop

ROWS = 8          # rows per batch
TEST_ROWS = 6     # rows of the predict input


def make_inputs(case, rng, rows):
    arrays = []
    for spec in case.inputs:
        if spec.vocab:
            ids = rng.integers(1, spec.vocab, size=(rows,) + tuple(spec.shape)).astype(np.int32)
            # trailing zeros on some rows, so masks (mask_zero) matter
            for r in range(0, rows, 2):
                ids[r, -(1 + r % 3):] = 0
            arrays.append(ids)
        elif spec.mask:
            keep = rng.random((rows,) + tuple(spec.shape)) < 0.6
            keep[..., 0] = True
            arrays.append(keep)
        else:
            x = rng.normal(0.0, 1.0, size=(rows,) + tuple(spec.shape)).astype(np.float32)
            if spec.masked_steps:
                # steps of zeros for Masking: trailing ones on some rows, a hole in others
                for r in range(0, rows, 2):
                    x[r, -(1 + r % 3):] = 0.0
                for r in range(1, rows, 4):
                    x[r, 1] = 0.0
            arrays.append(x)
    return arrays


def output_shapes(model):
    outs = model.outputs if getattr(model, "outputs", None) else None
    if outs:
        return [tuple(int(d) for d in o.shape[1:]) for o in outs]
    return None


def make_targets(model, case, rng, rows, x):
    """Targets shaped like the model's outputs: one-hot rows for categorical losses."""
    shapes = output_shapes(model)
    if shapes is None:  # subclassed: shapes from a prediction
        shapes = [tuple(p.shape[1:]) for p in as_list(model.predict(x if len(x) > 1 else x[0], verbose=0))]
    losses = case.loss if isinstance(case.loss, list) else [case.loss] * len(shapes)
    targets = []
    for shape, loss in zip(shapes, losses):
        if "categorical_crossentropy" in str(loss) and not str(loss).startswith("sparse"):
            labels = rng.integers(0, shape[-1], size=(rows,) + shape[:-1])
            targets.append(np.eye(shape[-1], dtype=np.float32)[labels])
        elif str(loss).startswith("sparse"):
            targets.append(rng.integers(0, shape[-1], size=(rows,) + shape[:-1]).astype(np.int32))
        elif "binary" in str(loss):
            targets.append(rng.integers(0, 2, size=(rows,) + shape).astype(np.float32))
        else:
            targets.append(rng.normal(0.0, 1.0, size=(rows,) + shape).astype(np.float32))
    return targets


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def make_batches(model, case, seed, count):
    rng = interop.seeded(seed)
    rows = case.batch_size or ROWS
    batches = []
    for _ in range(count):
        x = make_inputs(case, rng, rows)
        batches.append((x, make_targets(model, case, rng, rows, x)))
    return batches


def save_batches(folder, batches):
    """Writes every batch's arrays; returns the driver's description of them."""
    described = []
    for k, (x, y) in enumerate(batches):
        described.append({"x": interop.save_arrays(folder, f"batch{k}_x", x),
                          "y": interop.save_arrays(folder, f"batch{k}_y", y)})
    return described


def weights_in_ksave_order(model):
    """The model's weights in the order ksave lists them, tf-keras's: layer by layer (a nested
    model's layers in turn), each layer's trainable weights, then its non-trainable ones. tf-keras's
    get_weights is that order; Keras 3's lists a layer's own variables before its sublayers' (a
    SpectralNormalization wrapper: kernel, vector_u, then the wrapped layer's bias)."""
    if model.__class__.__module__.startswith("tf_keras"):
        return model.get_weights()
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            out += weights_in_ksave_order(layer)
        else:
            out += [w.numpy() for w in layer.trainable_weights + layer.non_trainable_weights]
    return out


def train(model, batches):
    """train_on_batch on each batch; returns the loss of each and the weights after each."""
    losses, weights = [], []
    for x, y in batches:
        logs = model.train_on_batch(x if len(x) > 1 else x[0], y if len(y) > 1 else y[0], return_dict=True)
        losses.append(float(logs["loss"]))
        weights.append([np.array(w) for w in weights_in_ksave_order(model)])
    return losses, weights


def reset_states(model):
    """Zero the states of a stateful model's recurrent layers (Keras 3's Sequential has no
    reset_states of its own; its layers do)."""
    for layer in model.layers:
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
            layer.reset_states()


def predict(model, x):
    return [np.asarray(p) for p in as_list(model.predict(x if len(x) > 1 else x[0], verbose=0, batch_size=32))]


def ksave_training(folder):
    """The losses and weights a ksave `train` step wrote into `folder`."""
    with open(os.path.join(folder, "logs.json")) as f:
        logs = json.load(f)
    weights = []
    for k in range(len(logs)):
        step = os.path.join(folder, f"step_{k}")
        count = len([n for n in os.listdir(step) if n.endswith(".npy")])
        weights.append([np.load(os.path.join(step, f"w_{i}.npy")) for i in range(count)])
    return [float(l["loss"]) for l in logs], weights


def assert_same_training(actual, expected, what, rtol=1e-5, atol=1e-6):
    """Losses and every weight after every step agree; returns the largest difference."""
    (a_losses, a_weights), (e_losses, e_weights) = actual, expected
    worst = interop.assert_close(np.array(a_losses), np.array(e_losses), f"{what}: losses", rtol, atol)
    for k, (aw, ew) in enumerate(zip(a_weights, e_weights)):
        worst = max(worst, interop.assert_all_close(aw, ew, f"{what}: weights after step {k}", rtol, atol))
    return worst


def trains_as_keras(K, model, case, folder, start_file, seed, steps, what):
    """Saves the compiled `model` as folder/start_file; Keras trains the model it loads from that
    file (a loaded model's optimizer is built before its first step, and tf-keras's Nadam counts its
    traces from there) and ksave trains from the same file, for `steps` seeded batches. Losses and
    weights after every step must agree; returns the largest difference."""
    batches = make_batches(model, case, seed, steps)
    start = os.path.join(folder, start_file)
    model.save(start)
    expected = train(K.models.load_model(start), batches)
    out = os.path.join(folder, "ksave")
    interop.run_ksave(folder, "train", [{"op": "load_model", "path": start},
                                        {"op": "train", "batches": save_batches(folder, batches), "out": out}])
    return assert_same_training(ksave_training(out), expected, what)


def assert_resumes(actual, continued, own_resume, what, rtol=1e-5, atol=1e-6):
    """Training resumed from a file must match the writer's own continuation (`continued`: what
    the writer computed next without saving). Where the format itself loses state for Keras too
    (tf-keras's .h5 has no Nadam u_product; its SavedModel loader leaves OptimizerV2 slots
    unrestored), the reference is the reading library resuming a file of that state it wrote
    itself: `own_resume()` computes it. Returns (largest difference, which reference matched)."""
    try:
        return assert_same_training(actual, continued, what + " vs the writer's continuation", rtol, atol), "continuation"
    except AssertionError as first:
        reference = own_resume()
        if reference is None:
            raise first
        try:
            assert_same_training(reference, continued, "own resume", rtol, atol)
        except AssertionError:
            # The format loses state for Keras itself: the reader must do what Keras does.
            return assert_same_training(actual, reference, what + " vs Keras resuming its own file", rtol, atol), \
                "Keras's own resume (the format loses state)"
        raise first
