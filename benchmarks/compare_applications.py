#!/usr/bin/env python3
"""ResNet50 and MobileNetV2 from keras.applications (weights=None: random weights, 224x224x3,
1000 classes) in ksave, real TensorFlow and ONNX Runtime, side by side in one session (issue 14):
predict at batch 1 and 8 and one SGD training step (categorical crossentropy) per batch size,
1 and 2 intra-op threads, the sides alternating from run to run; medians over the runs of each
run's per-call wall and process CPU time, with each peer's time divided by ksave's (> 1: ksave
is faster), and the load averages seen.

  benchmarks/compare_applications.py --build build [--env build/python-env] [--dir /tmp/ksave-apps]
                                     [--runs 5] [--threads 1,2] [--only resnet50] [--batches 1,8]
                                     [--predict-only]

The models are written once into --dir by tf-keras (NAME.h5); ksave loads that file
(bench_applications), TensorFlow builds the same model from the file (predict_on_batch,
train_on_batch), and ONNX Runtime runs ksave's own ONNX export of it (`ksave convert`, opset 13,
Python API: its per-call overhead is microseconds against milliseconds here). ONNX Runtime has no
training step. Each run gives one round per side and thread count (one warm-up call first).
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile

from ratio_table import print_ratio_table

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ("mobilenetv2", "resnet50")  # the cheaper one first

MAKE_MODELS = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tf_keras as keras
folder = sys.argv[1]
for name in sys.argv[2:]:
    build = {"resnet50": keras.applications.ResNet50, "mobilenetv2": keras.applications.MobileNetV2}[name]
    build(weights=None).save(os.path.join(folder, name + ".h5"))
"""

# One peer, one thread count per process (TensorFlow reads its thread settings once).
PEER = """
import json, os, sys, time
os.environ["TF_USE_LEGACY_KERAS"] = "1"; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
peer, path, name, threads, batches, rounds, round_time, train = sys.argv[1:9]
threads, rounds, round_time = int(threads), int(rounds), float(round_time)
batches = [int(b) for b in batches.split(",")]

def time_calls(call):
    for _ in range(1):  # as bench_applications: the first call traces/plans
        call()
    wall, cpu = [], []
    for _ in range(rounds):
        w0, c0, n = time.perf_counter(), time.process_time(), 0
        while True:
            call(); n += 1
            if time.perf_counter() - w0 >= round_time:
                break
        wall.append((time.perf_counter() - w0) / n * 1e6); cpu.append((time.process_time() - c0) / n * 1e6)
    return {"wall_us": float(np.median(wall)), "min_wall_us": min(wall), "cpu_us": float(np.median(cpu)), "rounds": rounds}

def emit(batch, mode, times):
    print(json.dumps({"peer": peer, "workload": f"{name}_b{batch}", "mode": mode, "threads": threads, **times}), flush=True)

rng = np.random.default_rng(14)
if peer == "tensorflow":
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import tf_keras as keras
    print(json.dumps({"peer": peer, "version": tf.__version__, "keras": keras.__version__}), flush=True)
    model = keras.models.load_model(path, compile=False)
    model.compile(keras.optimizers.SGD(0.001), "categorical_crossentropy")
    for batch in batches:
        x = rng.uniform(-1, 1, (batch,) + tuple(model.input_shape[1:])).astype(np.float32)
        y = np.eye(model.output_shape[-1], dtype=np.float32)[np.arange(batch) % model.output_shape[-1]]
        emit(batch, "predict", time_calls(lambda: model.predict_on_batch(x)))
        if train == "train":
            emit(batch, "train", time_calls(lambda: model.train_on_batch(x, y)))
else:
    import onnxruntime as ort
    print(json.dumps({"peer": peer, "version": ort.__version__}), flush=True)
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    declared = session.get_inputs()[0]
    for batch in batches:
        x = rng.uniform(-1, 1, [batch] + list(declared.shape[1:])).astype(np.float32)
        emit(batch, "predict", time_calls(lambda: session.run(None, {declared.name: x})))
"""


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--env", default=os.path.join(HERE, "..", "build", "python-env"))
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "ksave-apps"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--batches", default="1,8")
    p.add_argument("--only", default="")
    p.add_argument("--rounds", type=int, default=1, help="rounds per side and run (medians are over runs)")
    p.add_argument("--round-time", type=float, default=0.01, help="a round is at least one call")
    p.add_argument("--predict-only", action="store_true", help="no training steps (ksave and TensorFlow)")
    return p.parse_args()


def run_json(command, threads):
    env = dict(os.environ, KSAVE_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        print(f"# failed: {' '.join(command)}\n{out.stderr[-2000:]}", file=sys.stderr)
        return []
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def prepare(a, names, python):
    """tf-keras writes NAME.h5 once; ksave converts it to NAME.onnx."""
    os.makedirs(a.dir, exist_ok=True)
    missing = [n for n in names if not os.path.exists(os.path.join(a.dir, n + ".h5"))]
    if missing:
        subprocess.run([python, "-c", MAKE_MODELS, a.dir] + missing, check=True)
    for n in names:
        onnx = os.path.join(a.dir, n + ".onnx")
        if not os.path.exists(onnx):
            subprocess.run([os.path.join(a.build, "bin", "ksave"), "convert", os.path.join(a.dir, n + ".h5"), onnx],
                           check=True, capture_output=True)


def print_table(results, versions, loads, peers, runs):
    print(f"\n## run {runs} (the earlier runs complete)")
    print(f"load average during the runs: {min(loads):.2f}-{max(loads):.2f} (median {statistics.median(loads):.2f})")
    for side, note in versions.items():
        print(f"{side}: {json.dumps(note)}")
    print_ratio_table(results, peers, unit="ms", divisor=1000, runs=runs)

def main():
    a = parse()
    names = [n for n in (a.only.split(",") if a.only else MODELS) if n]
    threads = [int(t) for t in a.threads.split(",")]
    python = os.path.join(a.env, "bin", "python")
    prepare(a, names, python)
    timing = [str(a.rounds), str(a.round_time)]
    mode = "predict" if a.predict_only else "train"

    def side_command(side, name, t):
        h5 = os.path.join(a.dir, name + ".h5")
        if side == "ksave":
            return [os.path.join(a.build, "bin", "bench_applications"), "--model", h5, "--name", name, "--threads",
                    str(t), "--batches", a.batches, "--rounds", timing[0], "--round-time", timing[1]] + \
                (["--no-train"] if a.predict_only else [])
        path = os.path.join(a.dir, name + ".onnx") if side == "onnxruntime" else h5
        return [python, "-c", PEER, side, path, name, str(t), a.batches] + timing + [mode]

    sides = ["ksave", "tensorflow", "onnxruntime"]
    results = collections.defaultdict(lambda: collections.defaultdict(list))
    loads, versions = [], {}
    for run in range(a.runs):
        order = sides[run % len(sides):] + sides[:run % len(sides)]
        # The sides back to back per model and thread count, and the table so far after each:
        # a run of ResNet50 training steps takes many minutes on a loaded machine, and an
        # interrupted session keeps comparable figures for what it measured.
        for name in names:
            for t in threads:
                for side in order:
                    loads.append(os.getloadavg()[0])
                    for r in run_json(side_command(side, name, t), t):
                        if "workload" in r:
                            results[side][(r["workload"], r["mode"], r["threads"])].append((r["wall_us"], r["cpu_us"]))
                        else:
                            versions[side] = r
                print_table(results, versions, loads, sides[1:], run + 1)
        print(f"# run {run + 1}/{a.runs} done, load average {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
