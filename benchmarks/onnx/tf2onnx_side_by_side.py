"""ksave's ONNX export side by side with tf2onnx on the same Keras models.

For every model of the interop suite (tests/interop/models.py, and its TF-ops and preprocessing
models) and the catalogue's keras.applications backbones (tests/interop/test_applications.py, at
64x64 or their smallest side when larger), built by tf-keras 2.21 (seeded, weights=None, then every weight moved
by N(0, 0.05) as training would): ksave converts the model's .h5
(`ksave convert`), tf2onnx converts its SavedModel (`python -m tf2onnx.convert --saved-model`,
opset 13 for both). Each ONNX file that converts is checked by onnx's checker (full), run by ONNX Runtime (one thread,
CPU) on the same input and compared with tf-keras's own predict (rtol 1e-4, atol 1e-5); then both are timed on that input,
alternating ours and theirs, and the median CPU time per call of each is reported, with the operators
ONNX Runtime runs for each after its own graph optimizations ("same" when they are the same).

Run from the build folder's Python environment (scripts/python-env.sh):
    build/python-env/bin/python benchmarks/onnx/tf2onnx_side_by_side.py --ksave build/bin/ksave \
        [--out DIR] [--batch 32] [--repeats 200] [--only mlp,lstm]
Prints a Markdown table and the load average before and after.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "..", "tests", "interop"), os.path.join(HERE, "..", "..", "tests", "onnx")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tf_keras as K  # noqa: E402

import export_models  # noqa: E402
import keras_side as ks  # noqa: E402
import models  # noqa: E402
import onnx_check  # noqa: E402  (ONNX Runtime sessions and feeds as the tests make them)
import test_applications  # noqa: E402  (tests/interop's: the catalogue's backbones, issue 16)

# The interop suite's models outside models.py (TF ops, preprocessing), as the ONNX tests take them.
INTEROP_EXTRAS = ("tf_ops", "preprocessing")
# Backbones at 64x64 at least (InceptionV3 and Xception need 75 and 71).
SMALLEST_SIDE = 64


def builders():
    for case in models.CASES + [c for c in export_models.CASES if c.name in INTEROP_EXTRAS]:
        if case.tf_keras and not case.subclassed:
            yield case.name, case, lambda case=case: case.build(K)
    for name, smallest, _ in test_applications.APPLICATIONS:
        size = max(smallest, SMALLEST_SIDE)
        case = models.Case(name, "applications", None, [models.Input((size, size, 3))])
        yield name, case, lambda name=name, size=size: getattr(K.applications, name)(
            weights=None, include_top=False, pooling="avg", input_shape=(size, size, 3))


def perturb_weights(model, rng):
    """Every weight moved away from its initial value, as a trained model's are: untrained biases
    are zeros, which tf2onnx's constant folding drops (a MatMul where a bias makes ours a Gemm),
    which a real model would not let it do. Variances stay positive."""
    for w in model.weights:
        value = w.numpy()
        if value.dtype.kind != "f":
            continue
        moved = value + 0.05 * rng.standard_normal(value.shape).astype(value.dtype)
        w.assign(np.abs(moved) + 0.5 if "variance" in w.name else moved)


def matches(outputs, expected):
    if len(outputs) != len(expected):
        return False
    return all(o.shape == e.shape and np.allclose(o, e, rtol=1e-4, atol=1e-5) for o, e in zip(outputs, expected))


def convert_ours(ksave, h5, target):
    done = subprocess.run([ksave, "convert", h5, target, "--option", "opset=13"], capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[-1]


def convert_theirs(saved_model, target):
    done = subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", saved_model, "--output", target,
                           "--opset", "13"], capture_output=True, text=True, timeout=900)
    if done.returncode == 0 and os.path.exists(target):
        return None
    lines = [l for l in done.stderr.strip().splitlines() if "Error" in l or "error" in l] or done.stderr.strip().splitlines() or ["?"]
    return lines[-1][:160]


def time_pair(sessions, feeds, repeats):
    """Median CPU seconds per run of each session, calls interleaved so load changes hit both.

    CPU time of the calling thread, not wall time: with one intra-op thread ONNX Runtime runs the
    graph on the caller's thread, and on a shared machine wall time mostly measures the wait for a
    core."""
    times = [[] for _ in sessions]
    for s, f in zip(sessions, feeds):
        for _ in range(5):
            s.run(None, f)
    for _ in range(repeats):
        for k, (s, f) in enumerate(zip(sessions, feeds)):
            start = time.thread_time()
            s.run(None, f)
            times[k].append(time.thread_time() - start)
    return [statistics.median(t) for t in times]


def operators_run(path):
    """{op_type: count} of the graph ONNX Runtime runs after its optimizers (folded
    BatchNormalizations, fused Pads and activations, blocked-layout reorders), one thread."""
    import onnx
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3  # no warning that the optimized file is for this machine only
    options.optimized_model_filepath = path + ".optimized"
    ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    counts = {}
    for node in onnx.load(options.optimized_model_filepath, load_external_data=False).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def compare_operators(ours, theirs):
    """'same' when ONNX Runtime runs the same operators for both, else each side's total."""
    if ours == theirs:
        return "same"
    return f"{sum(ours.values())} vs {sum(theirs.values())}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ksave", required=True)
    parser.add_argument("--out", default="onnx-side-by-side")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    rows = []
    for index, (name, case, build) in enumerate(builders()):
        if only and name not in only:
            continue
        folder = os.path.join(args.out, name)
        os.makedirs(folder, exist_ok=True)
        K.utils.set_random_seed(100 + index)
        model = build()
        perturb_weights(model, np.random.default_rng(300 + index))
        h5, saved_model = os.path.join(folder, "model.h5"), os.path.join(folder, "savedmodel")
        model.save(h5)
        model.save(saved_model, save_format="tf")
        x = ks.make_inputs(case, np.random.default_rng(200 + index), case.batch_size or args.batch)
        if case.batch_size:
            model.reset_states()
        expected = ks.predict(model, x)
        ours, theirs = os.path.join(folder, "ksave.onnx"), os.path.join(folder, "tf2onnx.onnx")
        results = {"ksave": convert_ours(args.ksave, h5, ours), "tf2onnx": convert_theirs(saved_model, theirs)}
        sessions, feeds, status = [], [], {}
        for who, path in (("ksave", ours), ("tf2onnx", theirs)):
            if results[who]:
                status[who] = f"fails: {results[who]}"
                continue
            try:
                onnx_check.check_model(path)
                s = onnx_check.session(path)
                f = onnx_check.feed(s, x)
                # tf2onnx may order a model's outputs otherwise: take them by Keras's names.
                names = [o.name for o in s.get_outputs()]
                wanted = model.output_names if set(model.output_names) <= set(names) else names
                outputs = s.run(wanted, f)
            except Exception as e:  # an invalid file: the checker's or ONNX Runtime's reason
                status[who] = "writes an invalid model: " + str(e).strip().splitlines()[-1][:160]
                continue
            status[who] = "converts" if matches(outputs, expected) else "converts, outputs differ from Keras"
            sessions.append(s)
            feeds.append(f)
        timing = time_pair(sessions, feeds, args.repeats) if len(sessions) == 2 else []
        ratio = f"{timing[1] / timing[0]:.2f}" if timing else "-"
        operators = compare_operators(operators_run(ours), operators_run(theirs)) if timing else "-"
        rows.append((name, status["ksave"], status["tf2onnx"], *(f"{t * 1e3:.3f}" for t in timing or [float("nan")] * 2), ratio,
                     operators))
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    print("| model | ksave | tf2onnx | ORT ms/call, ours | ORT ms/call, theirs | theirs / ours | operators ORT runs, ours vs theirs |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
