#!/usr/bin/python3
"""The computations of bench_training.cpp in numpy (float32, OpenBLAS through numpy's matmul):
predict and one SGD training step (categorical crossentropy, as Keras computes it) of an MLP
784-512-512-10 at batch 128, and a single-sample predict of a 16-64-32-5 MLP.

Run with Debian's numpy:  /usr/bin/python3 benchmarks/numpy_mlp.py
"""
import time

import numpy as np

rng = np.random.default_rng(0)


def mlp(sizes):
    return [((rng.uniform(-1, 1, (a, b)) * 0.05).astype(np.float32),
             (rng.uniform(-1, 1, (b,)) * 0.05).astype(np.float32)) for a, b in zip(sizes[:-1], sizes[1:])]


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def predict(layers, x):
    h = x
    for i, (w, b) in enumerate(layers):
        z = h @ w + b
        h = softmax(z) if i == len(layers) - 1 else np.maximum(z, 0)
    return h


def train_step(layers, x, y, lr=np.float32(0.01)):
    acts, h = [x], x
    for i, (w, b) in enumerate(layers):
        z = h @ w + b
        h = softmax(z) if i == len(layers) - 1 else np.maximum(z, 0)
        acts.append(h)
    p = np.clip(h, 1e-7, 1 - 1e-7)
    loss = -np.mean(np.sum(y * np.log(p), axis=-1))
    g = (h - y) / np.float32(x.shape[0])  # d loss / d logits (softmax + crossentropy)
    for i in range(len(layers) - 1, -1, -1):
        w, b = layers[i]
        gw, gb = acts[i].T @ g, g.sum(axis=0)
        if i > 0:
            g = (g @ w.T) * (acts[i] > 0)
        layers[i] = (w - lr * gw, b - lr * gb)
    return loss


def timeit(fn, min_time=2.0):
    """Wall time per call (and process CPU time per call, printed, for a loaded machine)."""
    fn()
    n, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            cpu = (time.process_time() - cpu_start) / n
            print(f"  (process CPU time {cpu * 1e6:,.1f} us/call over {n} calls)")
            return elapsed / n


def main():
    big = mlp([784, 512, 512, 10])
    x = rng.uniform(-1, 1, (128, 784)).astype(np.float32)
    y = np.zeros((128, 10), np.float32)
    y[np.arange(128), (np.arange(128) * 7) % 10] = 1
    t = timeit(lambda: predict(big, x))
    print(f"numpy predict MLP 784-512-512-10 batch 128: {t * 1e3:.3f} ms/batch, {128 / t:,.0f} samples/s")
    t = timeit(lambda: train_step(big, x, y))
    print(f"numpy fit step MLP 784-512-512-10 batch 128: {t * 1e3:.3f} ms/batch, {128 / t:,.0f} samples/s")
    small = mlp([16, 64, 32, 5])
    one = rng.uniform(-1, 1, (1, 16)).astype(np.float32)
    t = timeit(lambda: predict(small, one))
    print(f"numpy predict single sample MLP 16-64-32-5: {t * 1e6:.2f} us/call")


if __name__ == "__main__":
    main()
