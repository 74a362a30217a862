#!/usr/bin/env python3
"""Whole-process `ksave predict` of a model written by tf-keras, from every format that holds
weights, against a raw read of the same bytes (`dd` into one buffer of the file's size), with
peak memory (maximum resident set): the load goal of issue 14 (within 1.25x of a raw read, at
most weights + 10%). Runs alternate between the sides; medians of --runs runs; files come from
the page cache.

  benchmarks/compare_loads.py --ksave build/bin/ksave [--model big|resnet50] [--before OLD/bin/ksave]
                              [--dir /tmp/loads] [--env build/python-env] [--runs 5] [--peers]

Beside the whole processes, the load alone: `bench_load_time` (beside --ksave) times load_model
inside a process whose plugins are loaded, against the same bytes read into one buffer in a process
of its own (the "in process" sides; each ratio compares like with like).

--model big: 12 x Dense(2048), 201 MB; resnet50: keras.applications.ResNet50(weights=None), 98 MB
(BatchNormalization's moving statistics included). The model is made once in --dir by the
environment's tf-keras (.h5), then converted by `ksave convert` (.keras, SavedModel, JSON + TF
checkpoint).

--peers adds, per format, TensorFlow's own load (tf-keras's load_model for .h5 and the SavedModel,
Keras 3's for .keras; the time of the load_model call alone, measured inside the process after
TensorFlow's import, and the process's peak RSS, TensorFlow's runtime included) and, for .h5,
h5py reading every dataset into numpy arrays (Debian's python3-h5py; time of the reads alone).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_MODEL = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np, tf_keras as keras
if sys.argv[2] == "resnet50":
    m = keras.applications.ResNet50(weights=None)
else:
    m = keras.Sequential([keras.Input((2048,))] + [keras.layers.Dense(2048, activation="relu") for _ in range(12)])
m.save(sys.argv[1] + "/big.h5")
np.save(sys.argv[1] + "/x.npy", np.ones((1,) + tuple(m.input_shape[1:]), np.float32))
"""

# Prints the seconds of the load alone (after the imports) on its last line.
TF_LOAD = """
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
path = sys.argv[1]
if path.endswith(".keras"):
    import keras
else:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras as keras
t0 = time.perf_counter()
keras.models.load_model(path, compile=False)
print(time.perf_counter() - t0)
"""

H5PY_READ = """
import sys, time
import h5py, numpy as np
t0 = time.perf_counter()
arrays = []
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(lambda name, obj: arrays.append(np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
print(time.perf_counter() - t0)
"""


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--ksave", required=True)
    p.add_argument("--before", default="")
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "ksave-loads"))
    p.add_argument("--env", default=os.path.join(HERE, "..", "build", "python-env"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--model", choices=["big", "resnet50"], default="big")
    p.add_argument("--peers", action="store_true")
    return p.parse_args()


def timed(command):
    """Wall seconds, CPU seconds and peak RSS (MB) of a command, by GNU time; a command that prints
    its own timing on its last line (a Python peer: the load without the imports) gives that as
    its wall time."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + command, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{out.stderr[-2000:]}")
    wall, user, system, rss_kb = out.stderr.strip().splitlines()[-1].split()
    own = out.stdout.strip().splitlines()
    cpu = float(user) + float(system)
    if command[0].endswith("python") or command[0].endswith("python3"):
        wall = own[-1]
    elif command[0].endswith("bench_load_time"):
        measured = json.loads(own[-1])
        wall, cpu = measured["wall_s"], measured["cpu_s"]
    return float(wall), cpu, int(rss_kb) / 1024


def main():
    a = parse()
    os.makedirs(a.dir, exist_ok=True)
    d = os.path.join(a.dir, a.model)
    os.makedirs(d, exist_ok=True)
    python = os.path.join(a.env, "bin", "python")
    if not os.path.exists(f"{d}/big.h5"):
        subprocess.run([python, "-c", MAKE_MODEL, d, a.model], check=True)
        for target, extra in (("big.keras", []), ("big_sm", ["--to", "savedmodel"]), ("big.json", ["--to", "json"]),
                              ("ckpt", ["--to", "tf-checkpoint"])):
            subprocess.run([a.ksave, "convert", f"{d}/big.h5", f"{d}/{target}"] + extra, check=True,
                           capture_output=True)
    weights_mb = os.path.getsize(f"{d}/ckpt.data-00000-of-00001") / 2**20
    predict = ["predict", "--input", f"{d}/x.npy", "--output", f"{d}/y.npy"]
    formats = {"h5": [f"{d}/big.h5"], "keras": [f"{d}/big.keras"], "savedmodel": [f"{d}/big_sm"],
               "json + checkpoint": [f"{d}/big.json", "--weights", f"{d}/ckpt"]}
    raw_files = {"h5": f"{d}/big.h5", "keras": f"{d}/big.keras",
                 "savedmodel": f"{d}/big_sm/variables/variables.data-00000-of-00001",
                 "json + checkpoint": f"{d}/ckpt.data-00000-of-00001"}
    # The raw read holds the whole file in memory at once, as a load holds the weights: one block
    # of the file's size (fresh pages, as the variables are), not a small buffer used over again.
    sides = {"raw read": {name: ["dd", f"if={raw_files[name]}", "of=/dev/null", f"bs={os.path.getsize(raw_files[name])}",
                                 "count=1", "iflag=fullblock", "status=none"]
                          for name in formats}}
    for label, binary in (("ksave", a.ksave), ("ksave before", a.before)):
        if binary:
            sides[label] = {name: [binary, predict[0], args[0]] + args[1:] + predict[1:] for name, args in formats.items()}
    load_timer = os.path.join(os.path.dirname(a.ksave), "bench_load_time")
    if os.path.exists(load_timer):
        sides["raw read (in process)"] = {name: [load_timer, "--raw", raw_files[name]] for name in formats}
        sides["ksave load_model (in process)"] = {name: [load_timer] + args for name, args in formats.items()}
    if a.peers:
        sides["TensorFlow load_model (load only)"] = {
            name: [python, "-c", TF_LOAD, path] for name, path in
            (("h5", f"{d}/big.h5"), ("keras", f"{d}/big.keras"), ("savedmodel", f"{d}/big_sm"))}
        sides["h5py, every dataset (reads only)"] = {"h5": ["/usr/bin/python3", "-c", H5PY_READ, f"{d}/big.h5"]}
    results = {(side, name): [] for side in sides for name in sides[side]}
    loads = []
    for run in range(a.runs):
        order = list(sides)[run % len(sides):] + list(sides)[:run % len(sides)]
        for side in order:
            for name, command in sides[side].items():
                loads.append(os.getloadavg()[0])
                results[(side, name)].append(timed(command))
        print(f"# run {run + 1}/{a.runs}", file=sys.stderr, flush=True)
        # The table after every run: an interrupted session keeps what it measured.
        print_table(a.model, weights_mb, loads, run + 1, formats, sides, results)


def print_table(model, weights_mb, loads, runs, formats, sides, results):
    print(f"\nmodel {model}: weights {weights_mb:.1f} MiB; load average {min(loads):.2f}-{max(loads):.2f}; "
          f"medians of {runs} runs")
    print("| format | side | wall s | CPU s | peak RSS MiB | wall / raw read | CPU / raw read | RSS / weights |")
    print("|---|---|---|---|---|---|---|---|")
    for name in formats:
        for side in sides:
            if name not in sides[side]:
                continue
            # Sides measured inside their process compare with the raw read inside its process.
            raw_side = "raw read (in process)" if "in process" in side else "raw read"
            raw_wall, raw_cpu = (statistics.median(r[i] for r in results[(raw_side, name)]) for i in range(2))
            rs = results[(side, name)]
            wall, cpu, rss = (statistics.median(r[i] for r in rs) for i in range(3))
            # A Python peer's wall time is its load alone, its CPU the whole process's (imports
            # included): no CPU ratio for it.
            cpu_ratio = "—" if "load only" in side or "reads only" in side else f"{cpu / max(raw_cpu, 0.005):.2f}x"
            print(f"| {name} | {side} | {wall:.3f} | {cpu:.3f} | {rss:.0f} | {wall / max(raw_wall, 0.005):.2f}x "
                  f"| {cpu_ratio} | {rss / weights_mb:.2f} |", flush=True)

if __name__ == "__main__":
    main()
