"""LSTM forward and forward+backward with numpy, the same computation bench_lstm times in ksave.

Keras's LSTM (gates i, f, c, o; sigmoid / tanh), batch-major input (B, T, F), the input projection
of all steps fused into one matmul, then a per-step loop; backward is hand-written BPTT for
d sum(h_T * w) / d(kernel, recurrent_kernel, bias, x). Prints best-of-N milliseconds as JSON.
Usage: /usr/bin/python3 numpy_lstm.py [batch steps features units repeats]
"""
import json
import sys
import time

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward(x, k, r, b, keep=False):
    B, T, _ = x.shape
    U = r.shape[0]
    xp = (x.reshape(B * T, -1) @ k + b).reshape(B, T, 4 * U)
    h = np.zeros((B, U), np.float32)
    c = np.zeros((B, U), np.float32)
    tape = []
    for t in range(T):
        z = xp[:, t] + h @ r
        i, f, g, o = sigmoid(z[:, :U]), sigmoid(z[:, U:2 * U]), np.tanh(z[:, 2 * U:3 * U]), sigmoid(z[:, 3 * U:])
        c_prev, h_prev = c, h
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        if keep:
            tape.append((h_prev, c_prev, i, f, g, o, tc))
    return h, tape


def forward_backward(x, k, r, b, w):
    B, T, F = x.shape
    U = r.shape[0]
    _, tape = forward(x, k, r, b, keep=True)
    dk = np.zeros_like(k)
    dr = np.zeros_like(r)
    db = np.zeros_like(b)
    dxp = np.zeros((B, T, 4 * U), np.float32)
    dh = w.copy()
    dc = np.zeros((B, U), np.float32)
    for t in reversed(range(T)):
        h_prev, c_prev, i, f, g, o, tc = tape[t]
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        di, df, dg = dc * g, dc * c_prev, dc * i
        dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], axis=1)
        dxp[:, t] = dz
        dr += h_prev.T @ dz
        dh = dz @ r.T
        dc = dc * f
    flat = dxp.reshape(B * T, 4 * U)
    dk = x.reshape(B * T, F).T @ flat
    db = flat.sum(axis=0)
    dx = (flat @ k.T).reshape(B, T, F)
    return dk, dr, db, dx


def best_ms(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def main():
    B, T, F, U, repeats = (int(a) for a in (sys.argv[1:6] if len(sys.argv) >= 6 else (32, 50, 64, 128, 10)))
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (B, T, F)).astype(np.float32)
    k = rng.uniform(-0.1, 0.1, (F, 4 * U)).astype(np.float32)
    r = rng.uniform(-0.1, 0.1, (U, 4 * U)).astype(np.float32)
    b = np.zeros(4 * U, np.float32)
    w = rng.uniform(-1, 1, (B, U)).astype(np.float32)
    print(json.dumps({
        "forward_ms": best_ms(lambda: forward(x, k, r, b), repeats),
        "forward_backward_ms": best_ms(lambda: forward_backward(x, k, r, b, w), repeats),
    }))


if __name__ == "__main__":
    main()
