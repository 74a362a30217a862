"""The side-by-side table of the compare_*.py scripts: per (workload, mode, threads), ksave's
median wall (process CPU) time and each peer's, with peer / ksave ratios (> 1: ksave is faster)."""
import statistics


def print_ratio_table(results, peers, unit="us", divisor=1.0, runs=0):
    """results[side][(workload, mode, threads)] = [(wall_us, cpu_us), ...] over the runs."""
    print(f"median per-call wall {unit} (process CPU {unit}) over {runs} runs; ratio = peer / ksave, wall (CPU)")
    print("| workload | mode | threads | ksave | " + " | ".join(peers) + " |")
    print("|---|---|---|---|" + "---|" * len(peers))

    def med(samples, i):
        return statistics.median(s[i] for s in samples) / divisor

    for key in sorted(results["ksave"]):
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
        print(f"| {key[0]} | {key[1]} | {key[2]} | {w:.1f} ({c:.1f}) | " + " | ".join(cells) + " |", flush=True)
