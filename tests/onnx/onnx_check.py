"""What every ONNX test does: ksave writes the ONNX file (`ksave convert`), onnx's checker checks
it in full, ONNX Runtime runs it, and its outputs must equal ksave's own predictions (`ksave
predict`) within rtol 1e-5, atol 1e-6.

The comparison helpers come from the interop suite (tests/interop/interop.py: NaN-aware, naming
what differs and by how much).
"""
import os
import subprocess

import numpy as np

import interop

KSAVE = os.environ.get("KSAVE_CLI", "ksave")


class KsaveError(AssertionError):
    pass


def run_ksave(*args, env=None):
    done = subprocess.run([KSAVE, *map(str, args)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise KsaveError(f"ksave {' '.join(map(str, args))} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return done.stdout


def convert(source, target, weights=None, env=None, **options):
    """`ksave convert SOURCE TARGET.onnx [--weights W] [--option key=value ...]`."""
    args = ["convert", source, target]
    if weights:
        args += ["--weights", weights]
    for key, value in options.items():
        args += ["--option", f"{key}={'true' if value is True else 'false' if value is False else value}"]
    return run_ksave(*args, env=env)


def ksave_predict(model, inputs, folder, name, weights=None, outputs=1):
    """ksave's predictions for `inputs` (arrays), read back from the .npy files it writes."""
    args = ["predict", model]
    if weights:
        args += ["--weights", weights]
    for i, x in enumerate(inputs):
        path = os.path.join(folder, f"{name}_x{i}.npy")
        np.save(path, x)
        args += ["--input", path]
    paths = [os.path.join(folder, f"{name}_y{i}.npy") for i in range(outputs)]
    for p in paths:
        args += ["--output", p]
    run_ksave(*args)
    return [np.load(p) for p in paths]


def check_model(path):
    """onnx.checker with full_check (types and shapes inferred through the whole graph)."""
    import onnx
    onnx.checker.check_model(path, full_check=True)
    return onnx.load(path, load_external_data=False)


NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int32)": np.int32,
               "tensor(int64)": np.int64, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}


def session(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def as_input(x, onnx_type):
    """An array as ONNX Runtime takes it for `onnx_type`: strings as Python str objects."""
    if onnx_type == "tensor(string)":
        return np.vectorize(lambda v: v.decode("utf-8") if isinstance(v, bytes) else str(v), otypes=[object])(np.asarray(x))
    return np.asarray(x).astype(NUMPY_TYPES[onnx_type])


def feed(s, inputs):
    """A session's feed: inputs cast to the types the graph declares (as ksave's predict casts them
    to each Keras input's dtype)."""
    return {i.name: as_input(x, i.type) for i, x in zip(s.get_inputs(), inputs)}


def run_onnx(path, inputs):
    """ONNX Runtime's outputs."""
    s = session(path)
    return s.run(None, feed(s, inputs))


def assert_onnx_matches(path, inputs, expected, what, rtol=interop.RTOL, atol=interop.ATOL):
    """Checker in full, then ONNX Runtime equals `expected`; returns the largest difference."""
    check_model(path)
    got = run_onnx(path, inputs)
    return interop.assert_all_close(got, expected, f"{what}: ONNX Runtime against ksave", rtol, atol)


def operator_counts(path):
    """{op_type: count} over the graph and its subgraphs."""
    model = check_model(path)
    counts = {}

    def walk(graph):
        for node in graph.node:
            counts[node.op_type] = counts.get(node.op_type, 0) + 1
            for attribute in node.attribute:
                if attribute.g.node:
                    walk(attribute.g)

    walk(model.graph)
    return counts
