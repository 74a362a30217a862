"""Shared helpers of the interop suite: where files go, how ksave is driven, how results compare.

Real TensorFlow/Keras is the truth here. Every comparison goes through `assert_close`, which is
NaN-aware (a NaN equals only a NaN) and names what was compared, so a failure says which model,
file, output or weight differs and by how much.
"""
import json
import os
import subprocess
import sys

import numpy as np

RTOL = 1e-5
ATOL = 1e-6

# Set by CTest (tests/interop/CMakeLists.txt); defaults let a developer run pytest by hand
# from the build folder.
WORK = os.environ.get("KSAVE_INTEROP_WORK", os.path.abspath("interop-work"))
DRIVER = os.environ.get("KSAVE_INTEROP_DRIVER", "ksave_interop")
CUSTOM_PLUGINS = os.environ.get("KSAVE_INTEROP_PLUGINS", "")


def case_dir(*parts):
    path = os.path.join(WORK, *parts)
    os.makedirs(path, exist_ok=True)
    return path


def quiet_tensorflow():
    """TensorFlow's start-up chatter hides the test output; keep errors only."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def seeded(seed):
    return np.random.default_rng(seed)


def save_arrays(folder, prefix, arrays):
    """Writes arrays as prefix_0.npy, prefix_1.npy, ... and returns their paths."""
    paths = []
    for i, a in enumerate(arrays):
        p = os.path.join(folder, f"{prefix}_{i}.npy")
        np.save(p, np.asarray(a))
        paths.append(p)
    return paths


def load_arrays(paths):
    return [np.load(p) for p in paths]


class DriverError(AssertionError):
    pass


def run_ksave(folder, name, steps):
    """Runs one ksave_interop job (see tests/interop/driver/ksave_interop.cpp)."""
    job = os.path.join(folder, f"{name}.job.json")
    with open(job, "w") as f:
        json.dump({"steps": steps}, f, indent=1)
    env = dict(os.environ)
    if CUSTOM_PLUGINS:
        env["KSAVE_PLUGIN_PATH"] = CUSTOM_PLUGINS
    done = subprocess.run([DRIVER, job], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise DriverError(f"ksave job {job} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return done


def worst_difference(actual, expected):
    """Largest |a - e| and largest |a - e| / |e| over the elements (NaN-aware)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    diff = np.where(both_nan, 0.0, np.abs(a - e))
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN on one side only
    if diff.size == 0:
        return 0.0, 0.0
    rel = diff / np.maximum(np.abs(np.where(np.isnan(e), 1.0, e)), 1e-30)
    return float(diff.max()), float(rel.max())


def assert_close(actual, expected, what, rtol=RTOL, atol=ATOL):
    """|actual - expected| <= atol + rtol * |expected| everywhere; NaN equals only NaN."""
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape} != expected {e.shape}")
    if a.dtype.kind in "biu" or e.dtype.kind in "biu":
        if not np.array_equal(a, e):
            raise AssertionError(f"{what}: integer values differ")
        return 0.0
    a64 = a.astype(np.float64)
    e64 = e.astype(np.float64)
    both_nan = np.isnan(a64) & np.isnan(e64)
    ok = both_nan | (np.abs(a64 - e64) <= atol + rtol * np.abs(e64))
    if not ok.all():
        bad = np.argwhere(~ok)
        first = tuple(bad[0])
        worst, worst_rel = worst_difference(a, e)
        raise AssertionError(
            f"{what}: {len(bad)} of {a.size} values differ (rtol {rtol}, atol {atol}); "
            f"first at {first}: {a64[first]!r} vs expected {e64[first]!r}; largest |diff| {worst:.3g} "
            f"(relative {worst_rel:.3g})")
    return worst_difference(a, e)[0]


def assert_all_close(actuals, expecteds, what, rtol=RTOL, atol=ATOL):
    if len(actuals) != len(expecteds):
        raise AssertionError(f"{what}: {len(actuals)} arrays, expected {len(expecteds)}")
    worst = 0.0
    for i, (a, e) in enumerate(zip(actuals, expecteds)):
        worst = max(worst, assert_close(a, e, f"{what}[{i}]", rtol, atol))
    return worst


def assert_same_json(mine, theirs, where):
    """ksave's JSON equals Keras's: the same keys in the same order, the same values."""
    if isinstance(theirs, dict):
        assert isinstance(mine, dict), f"{where}: ksave has {type(mine).__name__}, Keras a dict"
        assert list(mine.keys()) == list(theirs.keys()), \
            f"{where}: keys differ:\n  ksave    {list(mine.keys())}\n  Keras {list(theirs.keys())}"
        for key in theirs:
            assert_same_json(mine[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(mine, list) and len(mine) == len(theirs), f"{where}: ksave {mine!r} vs Keras {theirs!r}"
        for i, (m, t) in enumerate(zip(mine, theirs)):
            assert_same_json(m, t, f"{where}[{i}]")
    elif isinstance(theirs, float) or isinstance(mine, float):
        assert mine == theirs or abs(mine - theirs) <= 1e-7 * abs(theirs), f"{where}: ksave {mine!r} vs Keras {theirs!r}"
    else:
        assert mine == theirs, f"{where}: ksave {mine!r} vs Keras {theirs!r}"


class Report:
    """Counts per (format, direction, family) and the largest differences, written as JSON for
    the README table (tests/interop/summarize.py)."""

    def __init__(self, name):
        # One file per CTest shard: the shards of a suite run at the same time.
        shard = os.environ.get("KSAVE_INTEROP_SHARD", "").replace("/", "-of-")
        self.path = os.path.join(case_dir("reports"), f"{name}{'-' + shard if shard else ''}.json")
        self.rows = []

    def add(self, family, fmt, direction, check, worst=0.0):
        self.rows.append({"family": family, "format": fmt, "direction": direction, "check": check,
                          "worst": float(worst)})
        with open(self.path, "w") as f:
            json.dump(self.rows, f, indent=1)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def object_forms(value, where="model"):
    """{path: sorted keys} of every serialized object (a dict with class_name) in a config, less
    tf-keras's shared_object_id."""
    forms = {}
    if isinstance(value, dict):
        if "class_name" in value:
            forms[where] = sorted(k for k in value if k != "shared_object_id")
        for key, item in value.items():
            forms.update(object_forms(item, f"{where}/{key}"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            forms.update(object_forms(item, f"{where}[{i}]"))
    return forms


def assert_same_h5_config_form(ours, theirs, what):
    """The model config of the .h5 file `ours` has the objects of `theirs`, each with its keys."""
    import h5py
    configs = []
    for path in (ours, theirs):
        with h5py.File(path, "r") as f:
            configs.append(object_forms(json.loads(f.attrs["model_config"])))
    actual, expected = configs
    assert sorted(actual) == sorted(expected), f"{what}: the .h5 model config holds other objects than tf-keras's"
    differing = {path: (actual[path], keys) for path, keys in expected.items() if actual[path] != keys}
    assert not differing, f"{what}: objects whose keys are not tf-keras's (ksave's, tf-keras's): {differing}"


def check_tf_keras_both_ways(K, folder, model, x, file_name, run, compare):
    """tf-keras saves `model` as `file_name` (.h5 or a SavedModel folder); ksave loads it, predicts
    tf-keras's numbers and saves it as .h5, which tf-keras loads and predicts with the same numbers.
    `run(folder, path, x, tag, outputs, save=...)` runs ksave, `compare(actual, expected, names,
    what)` compares outputs (each suite knows its outputs' kinds: strings, integers)."""
    expected = model.predict(x, verbose=0)
    path = os.path.join(folder, file_name)
    model.save(path, save_format="h5" if file_name.endswith(".h5") else "tf")
    tag = file_name.replace(".", "_")
    saved = os.path.join(folder, f"ksave_{tag}.h5")
    compare(run(folder, path, x, tag, len(expected), save=saved), expected, model.output_names,
            f"ksave predict of tf-keras {file_name}")
    compare(K.models.load_model(saved, compile=False).predict(x, verbose=0), expected, model.output_names,
            "tf-keras predict of ksave's .h5")


def check_keras3_both_ways(K, folder, model, x, run, compare, keras_inputs):
    """Keras 3 saves `model` as .keras; ksave loads it, predicts Keras's numbers and saves .keras
    again, which Keras 3 loads and predicts with the same numbers. `keras_inputs(x)` gives the
    inputs as Keras 3's predict takes them (string arrays as tf.string)."""
    expected = model.predict(keras_inputs(x), verbose=0)
    path = os.path.join(folder, "model.keras")
    model.save(path)
    saved = os.path.join(folder, "ksave.keras")
    compare(run(folder, path, x, "keras", len(expected), save=saved), expected, model.output_names,
            "ksave predict of Keras 3 .keras")
    compare(K.models.load_model(saved, compile=False).predict(keras_inputs(x), verbose=0), expected,
            model.output_names, "Keras 3 predict of ksave's .keras")
