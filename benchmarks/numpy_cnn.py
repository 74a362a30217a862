#!/usr/bin/env python3
"""The small CNN of bench_training.cpp in numpy (Debian python3-numpy, OpenBLAS), side by side:
28x28x1 -> Conv2D(16, 3x3, valid) + relu -> MaxPooling2D(2) -> Flatten -> Dense(10) + softmax,
batch 64: predict, and one SGD step with categorical cross-entropy (hand-written backward)."""
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

rng = np.random.default_rng(0)
B, H, W, C, F, K, N = 64, 28, 28, 1, 16, 3, 10
OH, OW = H - K + 1, W - K + 1          # 26 x 26
PH, PW = OH // 2, OW // 2              # 13 x 13
x = rng.uniform(-1, 1, (B, H, W, C)).astype(np.float32)
y = np.eye(N, dtype=np.float32)[np.arange(B) * 7 % N]
kernel = (rng.uniform(-1, 1, (K, K, C, F)) * 0.05).astype(np.float32)
bias = np.zeros(F, np.float32)
dense = (rng.uniform(-1, 1, (PH * PW * F, N)) * 0.05).astype(np.float32)
dense_bias = np.zeros(N, np.float32)


def forward(x):
    patches = sliding_window_view(x, (K, K), axis=(1, 2))           # B, OH, OW, C, K, K
    cols = patches.transpose(0, 1, 2, 4, 5, 3).reshape(B * OH * OW, K * K * C)
    conv = (cols @ kernel.reshape(K * K * C, F)).reshape(B, OH, OW, F) + bias
    act = np.maximum(conv, 0)
    windows = act[:, :PH * 2, :PW * 2].reshape(B, PH, 2, PW, 2, F)
    pooled = windows.max(axis=(2, 4))
    flat = pooled.reshape(B, -1)
    logits = flat @ dense + dense_bias
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return cols, act, windows, pooled, flat, e / e.sum(axis=1, keepdims=True)


def train_step():
    global kernel, bias, dense, dense_bias
    cols, act, windows, pooled, flat, p = forward(x)
    dlogits = (p - y) / B
    ddense = flat.T @ dlogits
    dflat = dlogits @ dense.T
    dpooled = dflat.reshape(B, PH, 1, PW, 1, F)
    mask = windows == pooled.reshape(B, PH, 1, PW, 1, F)
    dact = np.zeros_like(act)
    dact[:, :PH * 2, :PW * 2] = (mask * dpooled).reshape(B, PH * 2, PW * 2, F)
    dconv = (dact * (act > 0)).reshape(B * OH * OW, F)
    dkernel = (cols.T @ dconv).reshape(K, K, C, F)
    kernel -= 0.01 * dkernel
    bias -= 0.01 * dconv.sum(axis=0)
    dense -= 0.01 * ddense
    dense_bias -= 0.01 * dlogits.sum(axis=0)


def best_of(fn, repeats=20):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


print(f"numpy predict small CNN batch 64: {best_of(lambda: forward(x)):.2f} ms")
print(f"numpy fit step small CNN batch 64: {best_of(train_step):.2f} ms")
