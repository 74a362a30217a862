"""The peer of bench_tensorboard.cpp in tf-keras 2.21: one epoch of fit for an MLP 784-512-512-10
(1024 rows, batch 128, SGD 0.01, categorical crossentropy, accuracy) without callbacks, with the
TensorBoard callback at its most talkative (batch scalars every batch, weight histograms every
epoch, the graph) and with CSVLogger; and TensorBoard's histogram summary of one 784x512 kernel.

tf-keras calls the batch hooks that write batch_ scalars only when some callback asks for batch
hooks (its progress bar does; verbose=0 does not), so every row carries the same empty batch-hook
callback: the rows differ by the watching callback alone, as in bench_tensorboard.

Run with the project's Python environment (BUILD_DIR=build scripts/python-env.sh):
    build/python-env/bin/python benchmarks/tf_keras_tensorboard.py
"""
import os
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

ROWS, BATCH, REPEATS = 1024, 128, 10


class BatchHooks(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


def compiled_mlp():
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01), "categorical_crossentropy", metrics=["accuracy"])
    return model


def timed(function):
    """Median wall and process (all threads) seconds of REPEATS calls, after one warm-up call."""
    function()
    walls, cpus = [], []
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main():
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (ROWS, 784)).astype("float32")
    y = np.eye(10, dtype="float32")[np.arange(ROWS) * 7 % 10]
    model = compiled_mlp()
    root = tempfile.mkdtemp(prefix="tf_keras_tensorboard_")

    def fit_epoch(watch):
        def run():
            shutil.rmtree(os.path.join(root, "logs"), ignore_errors=True)
            callbacks = [BatchHooks()]
            if watch == "TensorBoard":
                callbacks.append(keras.callbacks.TensorBoard(os.path.join(root, "logs"), histogram_freq=1,
                                                             write_graph=True, update_freq=1))
            if watch == "CSVLogger":
                callbacks.append(keras.callbacks.CSVLogger(os.path.join(root, "history.csv")))
            model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
        return run

    rows = {watch: timed(fit_epoch(watch)) for watch in ("no callback", "TensorBoard", "CSVLogger")}
    base_wall, base_cpu = rows["no callback"]
    for watch, (wall, cpu) in rows.items():
        print(f"fit epoch, {watch:12s} {wall * 1e3:8.1f} ms wall {cpu * 1e3:8.1f} ms CPU "
              f"({wall / base_wall:.2f}x / {cpu / base_cpu:.2f}x no callback)")

    kernel = tf.constant(rng.uniform(-1, 1, (784, 512)).astype("float32"))
    writer = tf.summary.create_file_writer(os.path.join(root, "histogram"))
    step = tf.Variable(0, dtype=tf.int64)

    def histogram():
        with writer.as_default():
            tf.summary.histogram("dense/kernel_0/histogram", kernel, step=step)
        writer.flush()
        step.assign_add(1)

    wall, cpu = timed(histogram)
    print(f"histogram summary 784x512 {wall * 1e3:8.2f} ms wall {cpu * 1e3:8.2f} ms CPU")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
