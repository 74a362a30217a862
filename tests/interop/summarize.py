"""Prints the interop suite's results as the README's table: passed checks per format, direction
and model family, with the largest difference seen. Reads the reports the tests write
(work/reports/*.json under the build folder's tests/interop).

    python tests/interop/summarize.py build/tests/interop/work/reports
"""
import collections
import glob
import json
import os
import re
import sys


def current_reports(folder):
    """The report files of the latest run of each suite: a suite whose shard count changed leaves
    the files of its old shards (tf_keras-0-of-2.json beside tf_keras-0-of-4.json); only the
    layout of its newest file counts."""
    layouts = {}
    for path in glob.glob(os.path.join(folder, "*.json")):
        match = re.fullmatch(r"(.*?)(?:-\d+-of-(\d+))?\.json", os.path.basename(path))
        suite, shards = match.group(1), match.group(2)
        layouts.setdefault(suite, []).append((os.path.getmtime(path), shards, path))
    chosen = []
    for files in layouts.values():
        newest_layout = max(files)[1]
        chosen += [path for _, shards, path in files if shards == newest_layout]
    return sorted(chosen)


def main(folder):
    rows = []
    for path in current_reports(folder):
        with open(path) as f:
            rows += json.load(f)
    table = collections.defaultdict(lambda: {"families": set(), "checks": 0, "worst": 0.0})
    for row in rows:
        # Suites name tf-keras by its module (tf_keras) or by its package (tf-keras): one row each.
        cell = table[(row["format"], row["direction"].replace("tf_keras", "tf-keras"))]
        cell["families"].add(row["family"])
        cell["checks"] += 1
        cell["worst"] = max(cell["worst"], row["worst"])
    print("| format | direction | model families | checks passed | largest difference |")
    print("|---|---|---|---|---|")
    for (fmt, direction), cell in sorted(table.items()):
        families = ", ".join(sorted(cell["families"]))
        print(f"| {fmt} | {direction} | {families} | {cell['checks']} | {cell['worst']:.2g} |")
    print(f"\n{len(rows)} checks passed in all.")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import known_differences
    open_count = sum(len(entries) for entries in known_differences.KNOWN.values())
    print(f"{open_count} known differences (expected failures) listed in tests/interop/known_differences.py.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/tests/interop/work/reports")
