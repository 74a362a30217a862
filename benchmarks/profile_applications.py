#!/usr/bin/env python3
"""Where the time of a keras.applications predict goes, in ksave and in ONNX Runtime (issue 14):
per op type, milliseconds of process CPU per call at one thread.

  benchmarks/profile_applications.py --build build [--env build/python-env] [--dir /tmp/ksave-apps]
                                     [--only mobilenetv2] [--batches 1,8] [--calls 10]

ksave: bench_applications --profile-ops (an observer charges each op the process CPU time since
the previous op ended; an observer turns the fused inference paths off, so this is the profile of
the unfused layers, op by op). ONNX Runtime 1.32: its own profiler (SessionOptions.enable_profiling,
the duration of every node, summed per operator type) on ksave's ONNX export of the same file,
after its graph optimizations. Its profiler records each node's wall time, not CPU time: on a
loaded machine its milliseconds include the waits for a core, and only its shares compare. The
model files
are those compare_applications.py writes (run it once first, or give --dir where they are).
"""
import argparse
import collections
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

ORT = """
import json, sys, numpy as np, onnxruntime as ort
path, batches, calls, prefix = sys.argv[1], [int(b) for b in sys.argv[2].split(",")], int(sys.argv[3]), sys.argv[4]
for batch in batches:
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 1, 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.enable_profiling, so.profile_file_prefix = True, f"{prefix}_b{batch}"
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    declared = session.get_inputs()[0]
    x = np.random.default_rng(14).uniform(-1, 1, [batch] + list(declared.shape[1:])).astype(np.float32)
    session.run(None, {declared.name: x})
    for _ in range(calls):
        session.run(None, {declared.name: x})
    totals = {}
    events = json.load(open(session.end_profiling()))
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"]["op_name"]
            totals[op] = totals.get(op, 0.0) + e["dur"] / 1000.0
    # The warm-up call is in the profile too.
    print(json.dumps({"batch": batch, "ops": {k: v / (calls + 1) for k, v in totals.items()}}), flush=True)
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--env", default=os.path.join(HERE, "..", "build", "python-env"))
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "ksave-apps"))
    p.add_argument("--only", default="mobilenetv2,resnet50")
    p.add_argument("--batches", default="1,8")
    p.add_argument("--calls", type=int, default=10)
    a = p.parse_args()
    env = dict(os.environ, KSAVE_NUM_THREADS="1", OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for name in a.only.split(","):
        ksave = collections.defaultdict(dict)
        out = subprocess.run([os.path.join(a.build, "bin", "bench_applications"), "--model",
                              os.path.join(a.dir, name + ".h5"), "--name", name, "--batches", a.batches,
                              "--profile-ops", str(a.calls), "--no-train"],
                             capture_output=True, text=True, env=env, check=True)
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                ksave[int(r["workload"].rsplit("_b", 1)[1])][r["op"]] = r["cpu_ms_per_call"]
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([os.path.join(a.env, "bin", "python"), "-c", ORT, os.path.join(a.dir, name + ".onnx"),
                                  a.batches, str(a.calls), os.path.join(tmp, name)],
                                 capture_output=True, text=True, env=env, check=True)
        ort = {r["batch"]: r["ops"] for r in map(json.loads, filter(lambda l: l.startswith("{"), out.stdout.splitlines()))}
        for batch in sorted(ksave):
            print(f"\n### {name}, batch {batch}, ms per call (1 thread)\n")
            print("| ksave op (unfused) | ms | share | ONNX Runtime op | ms | share |")
            print("|---|---|---|---|---|---|")
            ours = sorted(ksave[batch].items(), key=lambda kv: -kv[1])
            theirs = sorted(ort.get(batch, {}).items(), key=lambda kv: -kv[1])
            total_ours, total_theirs = sum(v for _, v in ours), sum(v for _, v in theirs)
            for i in range(max(len(ours), len(theirs))):
                left = f"{ours[i][0]} | {ours[i][1]:.2f} | {ours[i][1] / total_ours:.0%}" if i < len(ours) else " | | "
                right = f"{theirs[i][0]} | {theirs[i][1]:.2f} | {theirs[i][1] / total_theirs:.0%}" if i < len(theirs) else " | | "
                print(f"| {left} | {right} |")
            print(f"| total | {total_ours:.2f} | | total | {total_theirs:.2f} | |")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
