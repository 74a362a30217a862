#!/usr/bin/env python3
"""Runs bench_compute beside its peers (peers_compute.py: ONNX Runtime, TensorFlow, numpy) in
one session, alternating the order from run to run, and prints medians over the runs with each
peer's time divided by ksave's (> 1: ksave is faster), wall and process CPU, plus the load
averages seen. Wall times on a shared machine include waiting for a core; CPU times do not.

  benchmarks/compare_compute.py [--build build-bench] [--env build/python-env] [--runs 5]
                                [--threads 1,2] [--rounds 5] [--round-time 0.2] [--only mlp_big,cnn]
                                [--ort-bench [PEER_DIR]] [--skip tensorflow,numpy]

--ort-bench adds ONNX Runtime through its C API: the peer harness ort_bench.cpp (read in place
from PEER_DIR, default ../shared/peer beside the checkout, or $KSAVE_PEER) is compiled into
BUILD/ort_bench/ against the libonnxruntime of the Python environment's onnxruntime wheel, and
times OrtApi::Run on the models peers_compute.py --write-onnx writes there (the float-input
workloads: not the text model), without Python's per-call overhead.

numpy runs twice: Debian's (/usr/bin/python3, the BLAS that /etc/alternatives selects: install
libopenblas0-pthread) and the environment's wheel (its bundled OpenBLAS); the "numpy" lines print
which library each one calls.
"""
import argparse
import collections
import glob
import json
import os
import statistics
import subprocess
import sys

from ratio_table import print_ratio_table

HERE = os.path.dirname(os.path.abspath(__file__))


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(HERE, "..", "build-bench"))
    p.add_argument("--env", default=os.path.join(HERE, "..", "build", "python-env"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--round-time", type=float, default=0.2)
    p.add_argument("--only", default="")
    p.add_argument("--ort-bench", nargs="?", const=os.environ.get("KSAVE_PEER", os.path.join(HERE, "..", "..", "shared", "peer")),
                   default="", metavar="PEER_DIR")
    p.add_argument("--skip", default="", help="sides left out, by name prefix (e.g. tensorflow,numpy)")
    p.add_argument("--before", default="", help="a bench_compute built against an earlier libksave, timed "
                   "as side 'ksave before' (its thread count from KSAVE_NUM_THREADS)")
    return p.parse_args()


def run_json(command, threads):
    env = dict(os.environ, KSAVE_NUM_THREADS=str(threads))
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        print(f"# failed: {' '.join(command)}\n{out.stderr[-2000:]}", file=sys.stderr)
        return []
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


ORT_C_WORKLOADS = ["mlp_big", "mlp_small", "cnn", "lstm"]  # float inputs: what ort_bench feeds


def ort_bench_command(a, env_python, peers_script):
    """Builds the C API harness (if its source or library is newer) and writes its models; returns
    a side's command function, or None with a message when something it needs is missing."""
    source = os.path.join(a.ort_bench, "ort_bench.cpp")
    libraries = sorted(glob.glob(os.path.join(a.env, "lib", "python3*", "site-packages", "onnxruntime", "capi",
                                              "libonnxruntime.so.1*")))
    if not os.path.exists(source) or not libraries or not os.path.exists(env_python):
        print(f"# --ort-bench: needs {source} and the Python environment's onnxruntime wheel", file=sys.stderr)
        return None
    folder = os.path.join(a.build, "ort_bench")
    binary, models = os.path.join(folder, "ort_bench"), os.path.join(folder, "models")
    os.makedirs(folder, exist_ok=True)
    # The wheel ships libonnxruntime.so.1.N.M only; the harness asks for its soname, libonnxruntime.so.1.
    library, lib_dir = libraries[-1], os.path.join(folder, "lib")
    os.makedirs(lib_dir, exist_ok=True)
    soname = os.path.join(lib_dir, "libonnxruntime.so.1")
    if os.path.realpath(soname) != os.path.realpath(library):
        if os.path.lexists(soname):
            os.remove(soname)
        os.symlink(os.path.abspath(library), soname)
    if not os.path.exists(binary) or os.path.getmtime(binary) < max(os.path.getmtime(source), os.path.getmtime(library)):
        subprocess.run(["g++", "-O2", "-std=c++17", "-I", os.path.join(a.ort_bench, "ort_include"), source, "-o", binary,
                        soname, "-Wl,-rpath," + os.path.abspath(lib_dir)], check=True)
    subprocess.run([env_python, peers_script, "--write-onnx", models], check=True)
    only = [w for w in (a.only.split(",") if a.only else ORT_C_WORKLOADS) if w in ORT_C_WORKLOADS]
    return lambda t: [binary, "--threads", str(t), "--models", models, "--rounds", str(a.rounds),
                      "--round-time", str(a.round_time), "--only", ",".join(only)]


def normalized(record):
    """ort_bench's records in bench_compute's form (peer, mode, wall_us, cpu_us)."""
    if record.get("impl") != "onnxruntime":
        return record
    return {"peer": "onnxruntime C API", "workload": record["workload"], "mode": "predict",
            "threads": record["threads"], "wall_us": record["median_us"], "cpu_us": record["process_cpu_us"],
            "version": record["version"]}


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    a = parse()
    threads = [int(t) for t in a.threads.split(",")]
    timing = ["--rounds", str(a.rounds), "--round-time", str(a.round_time)] + (["--only", a.only] if a.only else [])
    env_python = os.path.join(a.env, "bin", "python")
    peers_script = os.path.join(HERE, "peers_compute.py")
    sides = {"ksave": lambda t: [os.path.join(a.build, "bin", "bench_compute"), "--json", "--threads", str(t)] + timing}
    if a.before:
        sides["ksave before"] = lambda t: [a.before, "--json", "--threads", str(t)] + timing
    if os.path.exists(env_python):
        for peer in ("onnxruntime", "tensorflow"):
            sides[peer] = lambda t, p=peer: [env_python, peers_script, "--peer", p, "--threads", str(t)] + timing
        sides["numpy (wheel)"] = lambda t: [env_python, peers_script, "--peer", "numpy", "--threads", str(t)] + timing
    else:
        print(f"# no Python environment at {a.env}: ONNX Runtime and TensorFlow are skipped", file=sys.stderr)
    sides["numpy (Debian)"] = lambda t: ["/usr/bin/python3", peers_script, "--peer", "numpy", "--threads", str(t)] + timing
    if a.ort_bench:
        command = ort_bench_command(a, env_python, peers_script)
        if command:
            sides["onnxruntime C API"] = command

    skipped = [prefix for prefix in a.skip.split(",") if prefix]
    sides = {name: command for name, command in sides.items() if not any(name.startswith(p) for p in skipped)}
    results = collections.defaultdict(lambda: collections.defaultdict(list))
    loads, notes = [], {}
    names = list(sides)
    for run in range(a.runs):
        order = names[run % len(names):] + names[:run % len(names)]  # a different side first each run
        for side in order:
            for t in threads:
                loads.append(load1())
                for record in map(normalized, run_json(sides[side](t), t)):
                    if record.get("peer") == "onnxruntime C API":
                        notes[side] = {"version": record["version"]}
                    if "workload" in record:
                        peer = side if record["peer"] in ("numpy", "ksave") else record["peer"]
                        key = (record["workload"], record["mode"], record["threads"])
                        results[peer][key].append((record["wall_us"], record["cpu_us"]))
                    elif "version" in record:
                        notes[side] = record
        print(f"# run {run + 1}/{a.runs} done, load average {load1():.2f}", file=sys.stderr, flush=True)

    print(f"load average during the runs: {min(loads):.2f}-{max(loads):.2f} (median {statistics.median(loads):.2f})")
    for side, note in notes.items():
        print(f"{side}: {json.dumps(note)}")
    peers = [p for p in results if p != "ksave"]
    print()
    print_ratio_table(results, peers, runs=a.runs)

if __name__ == "__main__":
    main()
