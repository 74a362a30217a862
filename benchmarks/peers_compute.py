#!/usr/bin/env python3
"""The peers of bench_compute: the same workloads (shapes, layers, batch sizes) in ONNX Runtime,
TensorFlow (tf-keras) and numpy, timed the same way (rounds of back-to-back calls; medians of
each round's per-call wall and process CPU time). One peer and one thread count per process:
TensorFlow and OpenBLAS read their thread counts once, at start-up.

  peers_compute.py --peer onnxruntime|tensorflow|numpy --threads N [--rounds 7] [--round-time 0.3]

Prints one JSON object per line, as bench_compute does. Weights are random: only time is
compared, the numerics are checked by the interop suite. Run TensorFlow and ONNX Runtime from the
project's Python environment (build/python-env); numpy from either interpreter (the line
"blas" says which BLAS that numpy calls).
"""
import argparse
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--peer", required=True, choices=["onnxruntime", "tensorflow", "numpy"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--round-time", type=float, default=0.3)
    p.add_argument("--only", default="")
    return p.parse_args()


ARGS = parse()
if ARGS.peer == "numpy":  # OpenBLAS reads these when it is loaded
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

WORKLOADS = ["mlp_big", "mlp_small", "cnn", "lstm", "text"]
RNG = np.random.default_rng(14)


def uniform(shape, scale=0.05):
    return (RNG.uniform(-1, 1, shape) * scale).astype(np.float32)


def emit(peer, workload, mode, times):
    print(json.dumps({"peer": peer, "workload": workload, "mode": mode, "threads": ARGS.threads, **times}), flush=True)


def time_calls(call):
    for _ in range(3):
        call()
    wall, cpu = [], []
    for _ in range(ARGS.rounds):
        w0, c0, n = time.perf_counter(), time.process_time(), 0
        while True:
            call()
            n += 1
            if time.perf_counter() - w0 >= ARGS.round_time:
                break
        wall.append((time.perf_counter() - w0) / n * 1e6)
        cpu.append((time.process_time() - c0) / n * 1e6)
    return {"wall_us": float(np.median(wall)), "min_wall_us": float(min(wall)), "cpu_us": float(np.median(cpu)),
            "rounds": ARGS.rounds}


def selected():
    only = [w for w in ARGS.only.split(",") if w]
    return [w for w in WORKLOADS if not only or w in only]


def inputs():
    return {"mlp_big": uniform((128, 784), 1.0), "mlp_small": uniform((1, 16), 1.0),
            "cnn": uniform((64, 28, 28, 1), 1.0), "lstm": uniform((32, 100, 64), 1.0),
            "text": (np.arange(32 * 100).reshape(32, 100) * 7919 % 10000).astype(np.int32)}


# ---- ONNX Runtime: models written with the onnx package (opset 13), CPU provider ----

def onnx_models():
    from onnx import TensorProto, helper, numpy_helper

    def graph(name, nodes, x_shape, y_shape, weights, x_type=TensorProto.FLOAT):
        inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
        g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", x_type, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        return m.SerializeToString()

    def mlp(name, sizes, batch):
        nodes, weights, h = [], {}, "x"
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            weights[f"W{i}"], weights[f"b{i}"] = uniform((a, b)), uniform((b,))
            last = i == len(sizes) - 2
            nodes.append(helper.make_node("Gemm", [h, f"W{i}", f"b{i}"], [f"z{i}"]))
            h = "y" if last else f"h{i}"
            nodes.append(helper.make_node("Softmax", [f"z{i}"], [h], axis=-1) if last else
                         helper.make_node("Relu", [f"z{i}"], [h]))
        return graph(name, nodes, [batch, sizes[0]], [batch, sizes[-1]], weights)

    def lstm_nodes(x, units, features, prefix):
        # ONNX gate order i, o, f, c; time-major input.
        w = {f"{prefix}W": uniform((1, 4 * units, features)), f"{prefix}R": uniform((1, 4 * units, units)),
             f"{prefix}B": uniform((1, 8 * units))}
        nodes = [helper.make_node("Transpose", [x], [f"{prefix}xt"], perm=[1, 0, 2]),
                 helper.make_node("LSTM", [f"{prefix}xt", f"{prefix}W", f"{prefix}R", f"{prefix}B"],
                                  ["", f"{prefix}h"], hidden_size=units),
                 helper.make_node("Squeeze", [f"{prefix}h", "axes0"], [f"{prefix}last"])]
        w["axes0"] = np.array([0], np.int64)
        return nodes, w, f"{prefix}last"

    models = {"mlp_big": mlp("mlp_big", [784, 512, 512, 10], 128), "mlp_small": mlp("mlp_small", [16, 64, 32, 5], 1)}
    # CNN in ONNX's native NCHW (ONNX Runtime's fastest layout; the input is transposed once, outside
    # the timing): Conv 16 3x3 + Relu, MaxPool 2, Flatten, Gemm 10, Softmax.
    models["cnn"] = graph("cnn", [
        helper.make_node("Conv", ["x", "cw", "cb"], ["c"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "dw", "db"], ["z"]),
        helper.make_node("Softmax", ["z"], ["y"], axis=-1)], [64, 1, 28, 28], [64, 10],
        {"cw": uniform((16, 1, 3, 3), 0.3), "cb": uniform((16,)), "dw": uniform((16 * 13 * 13, 10)),
         "db": uniform((10,))})
    nodes, w, last = lstm_nodes("x", 128, 64, "l")
    nodes.append(helper.make_node("Identity", [last], ["y"]))
    models["lstm"] = graph("lstm", nodes, [32, 100, 64], [32, 128], w)
    nodes, w, last = lstm_nodes("e", 64, 64, "l")
    w.update({"emb": uniform((10000, 64)), "dw": uniform((64, 1)), "db": uniform((1,))})
    models["text"] = graph("text", [helper.make_node("Gather", ["emb", "x"], ["e"])] + nodes + [
        helper.make_node("Gemm", [last, "dw", "db"], ["z"]), helper.make_node("Sigmoid", ["z"], ["y"])],
        [32, 100], [32, 1], w, TensorProto.INT32)
    return models


def run_onnxruntime():
    import onnxruntime as ort
    print(json.dumps({"peer": "onnxruntime", "version": ort.__version__}), flush=True)
    models, xs = onnx_models(), inputs()
    xs["cnn"] = np.ascontiguousarray(xs["cnn"].transpose(0, 3, 1, 2))
    for name in selected():
        so = ort.SessionOptions()
        so.intra_op_num_threads = ARGS.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(models[name], so, providers=["CPUExecutionProvider"])
        feed = {"x": xs[name]}
        emit("onnxruntime", name, "predict", time_calls(lambda: session.run(None, feed)))


# ---- TensorFlow (tf-keras 2): predict_on_batch, train_on_batch, a tf.function call ----

def run_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(ARGS.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import tf_keras as keras
    print(json.dumps({"peer": "tensorflow", "version": tf.__version__, "keras": keras.__version__}), flush=True)
    L = keras.layers

    def mlp(sizes):
        return keras.Sequential([keras.Input((sizes[0],))] + [
            L.Dense(s, activation="softmax" if i == len(sizes) - 2 else "relu") for i, s in enumerate(sizes[1:])])

    models = {
        "mlp_big": (mlp([784, 512, 512, 10]), "categorical_crossentropy"),
        "mlp_small": (mlp([16, 64, 32, 5]), None),
        "cnn": (keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Flatten(), L.Dense(10, activation="softmax")]), "categorical_crossentropy"),
        "lstm": (keras.Sequential([keras.Input((100, 64)), L.LSTM(128)]), "mean_squared_error"),
        "text": (keras.Sequential([keras.Input((100,), dtype="int32"), L.Embedding(10000, 64), L.LSTM(64),
                                   L.Dense(1, activation="sigmoid")]), "binary_crossentropy"),
    }
    xs = inputs()
    ys = {"mlp_big": np.eye(10, dtype=np.float32)[np.arange(128) * 7 % 10],
          "cnn": np.eye(10, dtype=np.float32)[np.arange(64) * 7 % 10],
          "lstm": uniform((32, 128), 0.5), "text": (np.arange(32) % 2).astype(np.float32).reshape(32, 1)}
    for name in selected():
        model, loss = models[name]
        x = xs[name]
        emit("tensorflow", name, "predict", time_calls(lambda: model.predict_on_batch(x)))
        call = tf.function(lambda t: model(t, training=False))
        tx = tf.constant(x)
        emit("tensorflow_function", name, "predict", time_calls(lambda: call(tx).numpy()))
        if loss:
            model.compile(keras.optimizers.SGD(0.01), loss)
            emit("tensorflow", name, "train", time_calls(lambda: model.train_on_batch(x, ys[name])))


# ---- numpy: forward passes written with matmul (BLAS) ----

def blas_of_numpy():
    try:
        from numpy.core._multiarray_umath import __file__ as core  # noqa: F401
        import subprocess
        out = subprocess.run(["ldd", core], capture_output=True, text=True).stdout
        libs = [line.split("=>")[-1].split("(")[0].strip() for line in out.splitlines() if "blas" in line.lower()]
        return [os.path.realpath(lib) for lib in libs] or ["bundled (see numpy.show_config)"]
    except Exception as e:  # noqa: BLE001
        return [f"unknown: {e}"]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def numpy_lstm(x, w, r, b):
    n, units = x.shape[0], r.shape[0]
    h = np.zeros((n, units), np.float32)
    c = np.zeros((n, units), np.float32)
    projected = x @ w + b  # every step's input projection at once, as ksave and Keras do
    for t in range(x.shape[1]):
        z = projected[:, t] + h @ r
        i, f, g, o = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units]), np.tanh(z[:, 2 * units:3 * units]), \
            sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return h


def run_numpy():
    print(json.dumps({"peer": "numpy", "version": np.__version__, "python": sys.executable,
                      "blas": blas_of_numpy()}), flush=True)
    xs = inputs()

    def mlp(sizes):
        return [(uniform((a, b)), uniform((b,))) for a, b in zip(sizes[:-1], sizes[1:])]

    def mlp_forward(layers, x):
        for w, b in layers[:-1]:
            x = np.maximum(x @ w + b, 0)
        w, b = layers[-1]
        return softmax(x @ w + b)

    big, small = mlp([784, 512, 512, 10]), mlp([16, 64, 32, 5])
    cw, cb, dw, db = uniform((9, 16), 0.3), uniform((16,)), uniform((13 * 13 * 16, 10)), uniform((10,))

    def cnn(x):
        s = x.strides
        patches = np.lib.stride_tricks.as_strided(x, (64, 26, 26, 3, 3), (s[0], s[1], s[2], s[1], s[2]))
        y = np.maximum(patches.reshape(64 * 26 * 26, 9) @ cw + cb, 0).reshape(64, 26, 26, 16)
        pooled = y[:, :26, :26].reshape(64, 13, 2, 13, 2, 16).max(axis=(2, 4))
        return softmax(pooled.reshape(64, -1) @ dw + db)

    lw, lr, lb = uniform((64, 512)), uniform((128, 512)), uniform((512,))
    emb, tw, tr, tb, ow, ob = uniform((10000, 64)), uniform((64, 256)), uniform((64, 256)), uniform((256,)), \
        uniform((64, 1)), uniform((1,))
    xc = xs["cnn"][..., 0]
    forward = {"mlp_big": lambda: mlp_forward(big, xs["mlp_big"]), "mlp_small": lambda: mlp_forward(small, xs["mlp_small"]),
               "cnn": lambda: cnn(xc), "lstm": lambda: numpy_lstm(xs["lstm"], lw, lr, lb),
               "text": lambda: sigmoid(numpy_lstm(emb[xs["text"]], tw, tr, tb) @ ow + ob)}
    for name in selected():
        emit("numpy", name, "predict", time_calls(forward[name]))
    if "mlp_big" in selected():
        y = np.eye(10, dtype=np.float32)[np.arange(128) * 7 % 10]

        def train_step():  # forward, backward (softmax + crossentropy), SGD update
            acts = [xs["mlp_big"]]
            for w, b in big[:-1]:
                acts.append(np.maximum(acts[-1] @ w + b, 0))
            p = softmax(acts[-1] @ big[-1][0] + big[-1][1])
            g = (p - y) / len(y)
            for i in range(len(big) - 1, -1, -1):
                w, b = big[i]
                gw, gb = acts[i].T @ g, g.sum(0)
                if i:
                    g = (g @ w.T) * (acts[i] > 0)
                w -= 0.01 * gw
                b -= 0.01 * gb
        emit("numpy", "mlp_big", "train", time_calls(train_step))


{"onnxruntime": run_onnxruntime, "tensorflow": run_tensorflow, "numpy": run_numpy}[ARGS.peer]()
