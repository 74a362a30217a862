#!/usr/bin/python3
"""numpy side of bench_layers: Conv2D forward (NHWC input, HWIO filter, stride 1, SAME padding)
and its backward (input and filter gradients), written the way a numpy user would: im2col by
sliding_window_view + tensordot (BLAS), col2im as one strided add per kernel tap. Prints the best
of N timings in milliseconds as one JSON object. Run by bench_layers; usable alone:

    /usr/bin/python3 numpy_conv.py --batch 8 --size 32 --channels 32 --filters 64 --kernel 3 --repeats 10
"""
import argparse
import json
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def best_ms(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000.0)
    return best


def main():
    p = argparse.ArgumentParser()
    for name in ("batch", "size", "channels", "filters", "kernel", "repeats"):
        p.add_argument("--" + name, type=int, required=True)
    # A folder with x.npy and w.npy (the inputs ksave used) and ksave's y.npy, dx.npy, dw.npy:
    # the same inputs are used here and the largest differences are reported.
    p.add_argument("--check")
    a = p.parse_args()
    if a.check:
        x, w = np.load(a.check + "/x.npy"), np.load(a.check + "/w.npy")
    else:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((a.batch, a.size, a.size, a.channels), dtype=np.float32)
        w = rng.standard_normal((a.kernel, a.kernel, a.channels, a.filters), dtype=np.float32)
    k = a.kernel
    before, after = (k - 1) // 2, k - 1 - (k - 1) // 2  # TF's SAME at stride 1
    pads = ((0, 0), (before, after), (before, after), (0, 0))
    w_ckk = w.transpose(2, 0, 1, 3)  # (C, kh, kw, O), the window layout

    def forward():
        windows = sliding_window_view(np.pad(x, pads), (k, k), axis=(1, 2))  # N, H, W, C, kh, kw
        return np.tensordot(windows, w_ckk, axes=([3, 4, 5], [0, 1, 2]))

    dy = forward()

    def backward():
        windows = sliding_window_view(np.pad(x, pads), (k, k), axis=(1, 2))
        dw = np.tensordot(windows, dy, axes=([0, 1, 2], [0, 1, 2])).transpose(1, 2, 0, 3)
        dxp = np.zeros((a.batch, a.size + k - 1, a.size + k - 1, a.channels), dtype=np.float32)
        for i in range(k):
            for j in range(k):
                dxp[:, i:i + a.size, j:j + a.size, :] += dy @ w[i, j].T
        return dxp[:, before:before + a.size, before:before + a.size, :], dw

    result = {"forward_ms": best_ms(forward, a.repeats), "backward_ms": best_ms(backward, a.repeats),
              "numpy": np.__version__}
    if a.check:
        dx, dw = backward()
        for name, mine in (("y", dy), ("dx", dx), ("dw", dw)):
            theirs = np.load(a.check + "/" + name + ".npy")
            result["max_rel_diff_" + name] = float(np.abs(mine - theirs).max() / max(np.abs(mine).max(), 1e-30))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
