#!/usr/bin/python3
"""h5py side of bench_h5: writes and reads the same arrays in the Keras HDF5 layout with h5py
(Debian's python3-h5py), the way Keras does (create_dataset per weight; np.asarray on load), and
prints the timings as one JSON object. Run by bench_h5; usable alone:

    /usr/bin/python3 h5py_io.py --path /tmp/x.h5 --layers 25 --units 2048
"""
import argparse
import json
import os
import time

import h5py
import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True)
    parser.add_argument("--layers", type=int, required=True)
    parser.add_argument("--units", type=int, required=True)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    weights = []
    for i in range(args.layers):
        name = "dense" if i == 0 else f"dense_{i}"
        weights.append((name, f"{name}/kernel:0", rng.standard_normal((args.units, args.units), dtype=np.float32)))
        weights.append((name, f"{name}/bias:0", rng.standard_normal((args.units,), dtype=np.float32)))
    total = sum(a.nbytes for _, _, a in weights)

    start = time.perf_counter()
    with h5py.File(args.path, "w") as f:
        group = f.create_group("model_weights")
        for layer, name, array in weights:
            layer_group = group.require_group(layer)
            dataset = layer_group.create_dataset(name, array.shape, dtype=array.dtype)
            dataset[...] = array
    descriptor = os.open(args.path, os.O_RDONLY)  # timed up to fsync, as bench_h5 times its writes
    os.fsync(descriptor)
    os.close(descriptor)
    write_seconds = time.perf_counter() - start

    read_seconds = float("inf")
    for _ in range(3):  # best of three, as bench_h5 times its reads
        start = time.perf_counter()
        loaded = []
        with h5py.File(args.path, "r") as f:
            group = f["model_weights"]
            for layer, name, _ in weights:
                loaded.append(np.asarray(group[layer][name]))
        read_seconds = min(read_seconds, time.perf_counter() - start)
    assert all(np.array_equal(a, b) for (_, _, a), b in zip(weights, loaded))

    print(json.dumps({"bytes": total, "write_seconds": write_seconds, "read_seconds": read_seconds,
                      "h5py": h5py.version.version, "hdf5": h5py.version.hdf5_version}))


if __name__ == "__main__":
    main()
