"""TensorFlow's own objects against ksave: tf.train.Checkpoint + CheckpointManager both ways,
checkpoint listings and values against tf.train.load_checkpoint, and plain tf.Module SavedModels
(no Keras) run through ksave's graph executor."""
import json
import os

import interop
import keras_side as ks
import models

interop.quiet_tensorflow()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as K  # noqa: E402

REPORT = interop.Report("tf_modules")
CASE = models.Case("mlp", "dense", models.mlp, [models.Input((12,))])


def keras_listing(path):
    reader = tf.train.load_checkpoint(path)
    dtypes = reader.get_variable_to_dtype_map()
    return reader, {name: (dtypes[name].name, list(shape)) for name, shape in reader.get_variable_to_shape_map().items()}


def ksave_listing(folder, name, path):
    out = os.path.join(folder, f"{name}.json")
    interop.run_ksave(folder, f"list_{name}", [{"op": "checkpoint_list", "path": path, "out": out,
                                                "tensors": os.path.join(folder, f"{name}_tensors")}])
    with open(out) as f:
        listing = json.load(f)
    return {k: (v[0], v[1]) for k, v in listing["variables"].items()}, listing["files"]


def compiled_mlp(seed):
    K.utils.set_random_seed(seed)
    model = CASE.build(K)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="mse")
    return model


def test_checkpoint_listing_and_values_equal_tensorflow():
    """ksave's reader lists every key of a TensorFlow checkpoint with its dtype and shape, and
    reads every value bit for bit."""
    folder = interop.case_dir("tf_modules", "listing")
    model = compiled_mlp(7)
    batches = ks.make_batches(model, CASE, 8, 2)
    ks.train(model, batches)
    ckpt = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    prefix = ckpt.write(os.path.join(folder, "tf", "ckpt"))
    reader, theirs = keras_listing(prefix)
    ours, files = ksave_listing(folder, "tf", prefix)
    assert ours == theirs, f"listings differ:\n ksave {sorted(ours.items())}\n TF    {sorted(theirs.items())}"
    compared = 0
    for name, path in files.items():
        ours_value, their_value = np.load(path), reader.get_tensor(name)
        assert ours_value.dtype == their_value.dtype and np.array_equal(ours_value, their_value), name
        compared += 1
    assert compared == len(theirs) - 1  # every key but the object graph
    REPORT.add("dense", "checkpoint", "TF→ksave", f"list_variables and {compared} values bit-exact")


def test_checkpoint_manager_both_ways():
    folder = interop.case_dir("tf_modules", "manager")
    model = compiled_mlp(11)
    start = os.path.join(folder, "start.h5")
    model.save(start)  # the architecture and compile config, before any step
    batches = ks.make_batches(model, CASE, 12, 9)
    described = ks.save_batches(folder, batches)
    ckpt = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(folder, "tf"), max_to_keep=2)
    for k in range(3):
        ks.train(model, batches[k:k + 1])
        manager.save()
    x_test = ks.make_inputs(CASE, interop.seeded(13), ks.TEST_ROWS)
    x_paths = interop.save_arrays(folder, "x_test", x_test)
    expected = ks.predict(model, x_test)
    trained = ks.train(model, batches[3:6])

    # TensorFlow wrote, ksave restores the latest checkpoint the manager kept and resumes.
    pred = os.path.join(folder, "ksave_pred.npy")
    interop.run_ksave(folder, "restore", [
        {"op": "load_model", "path": start},
        {"op": "checkpoint_restore", "path": os.path.join(folder, "tf")},
        {"op": "predict", "inputs": x_paths, "outputs": [pred]},
        {"op": "train", "batches": described[3:6], "out": os.path.join(folder, "ksave_resumed")}])
    worst = interop.assert_close(np.load(pred), expected[0], "ksave predict after restoring TF's latest checkpoint")
    worst = max(worst, ks.assert_same_training(ks.ksave_training(os.path.join(folder, "ksave_resumed")), trained,
                                               "ksave resuming TF's CheckpointManager checkpoint"))
    REPORT.add("dense", "checkpoint manager", "TF→ksave", "restore latest + resume", worst)

    # ksave writes through its CheckpointManager; TensorFlow finds the latest and restores it.
    ours_dir = os.path.join(folder, "ksave")
    ours_pred = os.path.join(folder, "ksave_written_pred.npy")
    interop.run_ksave(folder, "save", [
        {"op": "load_model", "path": start},
        {"op": "train", "batches": described[6:9], "out": os.path.join(folder, "ksave_first")},
        {"op": "checkpoint_save", "directory": ours_dir, "max_to_keep": 2, "saves": 3},
        {"op": "predict", "inputs": x_paths, "outputs": [ours_pred]}])
    state = tf.train.get_checkpoint_state(ours_dir)
    assert os.path.basename(state.model_checkpoint_path) == "ckpt-3"
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["ckpt-2", "ckpt-3"]
    fresh = compiled_mlp(99)
    fresh.optimizer.build(fresh.trainable_variables)
    status = tf.train.Checkpoint(model=fresh, optimizer=fresh.optimizer).restore(tf.train.latest_checkpoint(ours_dir))
    status.assert_consumed()
    worst = interop.assert_close(ks.predict(fresh, x_test)[0], np.load(ours_pred), "TF predict after restoring ksave's checkpoint")
    REPORT.add("dense", "checkpoint manager", "ksave→TF", "latest_checkpoint + assert_consumed + predict", worst)


class Affine(tf.Module):
    """A plain tf.Module: two signatures, a variable, no Keras."""

    def __init__(self, rng):
        super().__init__()
        self.w = tf.Variable(rng.normal(size=(3, 4)).astype(np.float32))
        self.b = tf.Variable(rng.normal(size=(4,)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def __call__(self, x):
        h = tf.matmul(x, self.w) + self.b
        return {"y": tf.nn.relu(h), "total": tf.reduce_sum(tf.tanh(h), axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x"),
                                  tf.TensorSpec([], tf.float32, name="factor")])
    def scale(self, x, factor):
        return {"scaled": tf.concat([x * factor, tf.square(x)], axis=1)}


def test_tf_module_signatures_run_in_ksave():
    folder = interop.case_dir("tf_modules", "module")
    rng = interop.seeded(21)
    module = Affine(rng)
    path = os.path.join(folder, "module")
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__, "scale": module.scale})
    x = rng.normal(size=(5, 3)).astype(np.float32)
    factor = np.array(1.5, dtype=np.float32)
    x_path, factor_path = os.path.join(folder, "x.npy"), os.path.join(folder, "factor.npy")
    np.save(x_path, x)
    np.save(factor_path, factor)
    loaded = tf.saved_model.load(path)
    worst = 0.0
    for signature, inputs in [("serving_default", {"x": x_path}), ("scale", {"x": x_path, "factor": factor_path})]:
        function = loaded.signatures[signature]
        expected = function(**{k: tf.constant(np.load(p)) for k, p in inputs.items()})
        outputs = {k: os.path.join(folder, f"{signature}_{k}.npy") for k in expected}
        interop.run_ksave(folder, f"serve_{signature}", [{"op": "serve", "path": path, "signature": signature,
                                                           "inputs": inputs, "outputs": outputs}])
        for key, out in outputs.items():
            worst = max(worst, interop.assert_close(np.load(out), expected[key].numpy(), f"tf.Module {signature}:{key}"))
    REPORT.add("tf.Module", "savedmodel", "TF→ksave", "two signatures", worst)
