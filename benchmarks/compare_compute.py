#!/usr/bin/env python3
"""Runs bench_compute beside its peers (peers_compute.py: ONNX Runtime, TensorFlow, numpy) in
one session, alternating the order from run to run, and prints medians over the runs with each
peer's time divided by ksave's (> 1: ksave is faster), wall and process CPU, plus the load
averages seen. Wall times on a shared machine include waiting for a core; CPU times do not.

  benchmarks/compare_compute.py [--build build-bench] [--env build/python-env] [--runs 5]
                                [--threads 1,2] [--rounds 5] [--round-time 0.2] [--only mlp_big,cnn]

numpy runs twice: Debian's (/usr/bin/python3, the BLAS that /etc/alternatives selects: install
libopenblas0-pthread) and the environment's wheel (its bundled OpenBLAS); the "numpy" lines print
which library each one calls.
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys

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

    results = collections.defaultdict(lambda: collections.defaultdict(list))
    loads, notes = [], {}
    names = list(sides)
    for run in range(a.runs):
        order = names[run % len(names):] + names[:run % len(names)]  # a different side first each run
        for side in order:
            for t in threads:
                loads.append(load1())
                for record in run_json(sides[side](t), t):
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
    print("\nmedian per-call wall us (process CPU us) over %d runs; ratio = peer / ksave, wall (CPU)" % a.runs)
    print("| workload | mode | threads | ksave | " + " | ".join(peers) + " |")
    print("|---|---|---|---|" + "---|" * len(peers))

    def med(samples, i):
        return statistics.median(s[i] for s in samples)

    for key in sorted(results["ksave"], key=lambda k: (k[0], k[1], k[2])):
        ours = results["ksave"][key]
        w, c = med(ours, 0), med(ours, 1)
        cells = []
        for p in peers:
            theirs = results[p].get(key)
            if not theirs:
                cells.append("—")
                continue
            pw, pc = med(theirs, 0), med(theirs, 1)
            cells.append(f"{pw:.1f} ({pc:.1f}): {pw / w:.2f}x ({pc / c:.2f}x)")
        print(f"| {key[0]} | {key[1]} | {key[2]} | {w:.1f} ({c:.1f}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
