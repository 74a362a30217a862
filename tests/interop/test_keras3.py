"""Keras 3.15 against ksave, both ways, for every case of models.py that Keras 3 builds.

Direction 1: Keras 3 trains two steps, then writes `.keras`, `.weights.h5` and `model.export()`
(a SavedModel of serving functions, no Keras metadata). ksave loads the archive and predicts what
Keras predicts and resumes training; rebuilds the model from Keras 3's JSON and loads the
weights file; runs the export's serving signature through its graph executor.

Direction 2: ksave loads the archive, trains two more steps and writes `.keras`, `.weights.h5`
and legacy `.h5`; Keras 3 loads each, predicts what ksave predicts and resumes training.
"""
import json
import os

import pytest

import interop
import keras_side as ks
import models

interop.quiet_tensorflow()
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras as K  # noqa: E402

REPORT = interop.Report("keras3")

OPTIMIZERS = [
    ("Adam", lambda: K.optimizers.Adam(learning_rate=0.01)),
    ("SGD(momentum)", lambda: K.optimizers.SGD(learning_rate=0.05, momentum=0.9)),
    ("RMSprop(centered)", lambda: K.optimizers.RMSprop(learning_rate=0.01, centered=True)),
    ("Adamax", lambda: K.optimizers.Adamax(learning_rate=0.01)),
    ("Nadam", lambda: K.optimizers.Nadam(learning_rate=0.01)),
    ("Adagrad", lambda: K.optimizers.Adagrad(learning_rate=0.05)),
    ("Adadelta", lambda: K.optimizers.Adadelta(learning_rate=1.0)),
    ("Adam(amsgrad)", lambda: K.optimizers.Adam(learning_rate=0.01, amsgrad=True)),
]

CASES = models.shard([c for c in models.CASES if c.keras3 and not c.subclassed])


def optimizer_for(index):
    return OPTIMIZERS[index % len(OPTIMIZERS)]


@pytest.fixture(scope="module", params=range(len(CASES)), ids=[c.name for c in CASES])
def written(request):
    case = CASES[request.param]
    index = models.CASES.index(case)  # seeds and optimizer do not depend on the sharding
    folder = interop.case_dir("keras3", case.name)
    K.utils.set_random_seed(1000 + index)
    model = case.build(K)
    model.compile(optimizer=optimizer_for(index)[1](), loss=case.loss, metrics=case.metrics)
    batches = ks.make_batches(model, case, 2000 + index, 10)
    ks.train(model, batches[:2])
    files = {"keras": os.path.join(folder, "model.keras"), "weights": os.path.join(folder, "model.weights.h5"),
             "json": os.path.join(folder, "model.json"), "export": os.path.join(folder, "export")}
    model.save(files["keras"])
    model.save_weights(files["weights"])
    with open(files["json"], "w") as f:
        f.write(model.to_json())
    if not case.batch_size:
        model.export(files["export"], verbose=False)
    x_test = ks.make_inputs(case, interop.seeded(3000 + index), case.batch_size or ks.TEST_ROWS)
    if case.batch_size:
        ks.reset_states(model)
    expected = ks.predict(model, x_test)
    if case.batch_size:
        ks.reset_states(model)
    trained = ks.train(model, batches[2:5])
    return {"case": case, "index": index, "folder": folder, "model": model, "files": files,
            "batches": ks.save_batches(folder, batches), "raw_batches": batches,
            "x_test": interop.save_arrays(folder, "x_test", x_test), "x_test_arrays": x_test,
            "expected": expected, "trained": trained}


def ksave_predicts(w, name, load_steps):
    folder = w["folder"]
    outs = [os.path.join(folder, f"ksave_{name}_y{i}.npy") for i in range(len(w["expected"]))]
    interop.run_ksave(folder, f"read_{name}", load_steps + [{"op": "predict", "inputs": w["x_test"], "outputs": outs}])
    return interop.load_arrays(outs)


def test_ksave_reads_archive(written):
    case = written["case"]
    got = ksave_predicts(written, "keras", [{"op": "load_model", "path": written["files"]["keras"]}])
    worst = interop.assert_all_close(got, written["expected"], f"{case.name}: ksave predict of Keras 3 .keras",
                                     case.rtol, case.atol)
    REPORT.add(case.family, "keras", "keras3→ksave", "predict", worst)
    if not case.trains:
        return
    out = os.path.join(written["folder"], "ksave_resumed")
    interop.run_ksave(written["folder"], "resume", [{"op": "load_model", "path": written["files"]["keras"]},
                                                    {"op": "train", "batches": written["batches"][2:5], "out": out}])
    worst = ks.assert_same_training(ks.ksave_training(out), written["trained"],
                                    f"{case.name}: ksave resuming Keras 3's .keras ({optimizer_for(written['index'])[0]})")
    REPORT.add(case.family, "keras", "keras3→ksave", "resume training", worst)


def test_ksave_reads_weights_file(written):
    case = written["case"]
    got = ksave_predicts(written, "weights", [{"op": "model_from_json", "path": written["files"]["json"]},
                                              {"op": "load_weights", "path": written["files"]["weights"]}])
    worst = interop.assert_all_close(got, written["expected"], f"{case.name}: ksave predict with Keras 3 .weights.h5",
                                     case.rtol, case.atol)
    REPORT.add(case.family, "weights.h5", "keras3→ksave", "predict", worst)


def test_ksave_serves_export(written):
    """model.export() writes a plain SavedModel; ksave runs its serving_default signature."""
    case = written["case"]
    if case.batch_size:
        pytest.skip("stateful model: export does not apply")
    loaded = tf.saved_model.load(written["files"]["export"])
    signature = loaded.signatures["serving_default"]
    input_keys = sorted(signature.structured_input_signature[1].keys())
    output_keys = sorted(signature.structured_outputs.keys())
    folder = written["folder"]
    # Keras 3 names the signature's inputs after the model's inputs, in order.
    inputs = {key: path for key, path in zip(keras_input_order(written, input_keys), written["x_test"])}
    outputs = {key: os.path.join(folder, f"ksave_export_{key}.npy") for key in output_keys}
    casted = {}
    for key, path in inputs.items():
        dtype = signature.structured_input_signature[1][key].dtype.as_numpy_dtype
        casted_path = path.replace(".npy", f".{key}.npy")
        np.save(casted_path, np.load(path).astype(dtype))
        casted[key] = casted_path
    interop.run_ksave(folder, "serve_export", [{"op": "serve", "path": written["files"]["export"], "inputs": casted,
                                                 "outputs": outputs}])
    got = [np.load(outputs[k]) for k in output_keys]
    theirs = signature(**{k: tf.constant(np.load(p)) for k, p in casted.items()})
    expected = [theirs[k].numpy() for k in output_keys]
    worst = interop.assert_all_close(got, expected, f"{case.name}: ksave running Keras 3 export", case.rtol, case.atol)
    REPORT.add(case.family, "export", "keras3→ksave", "serving_default", worst)


def keras_input_order(written, keys):
    names = [t.name for t in written["model"].inputs]
    ordered = [k for n in names for k in keys if k == n]
    return ordered if len(ordered) == len(keys) else keys


@pytest.fixture(scope="module")
def ksave_wrote(written):
    case = written["case"]
    folder = interop.case_dir("keras3", case.name, "ksave_wrote")
    files = {"keras": os.path.join(folder, "model.keras"), "weights": os.path.join(folder, "model.weights.h5"),
             "h5": os.path.join(folder, "model.h5")}
    outs = [os.path.join(folder, f"pred_{i}.npy") for i in range(len(written["expected"]))]
    steps = [{"op": "load_model", "path": written["files"]["keras"]}]
    if case.trains:
        steps.append({"op": "train", "batches": written["batches"][5:7], "out": os.path.join(folder, "first")})
    steps += [{"op": "save_model", "path": files["keras"]},
              {"op": "save_weights", "path": files["weights"]},
              {"op": "save_model", "path": files["h5"], "format": "h5"},
              {"op": "predict", "inputs": written["x_test"], "outputs": outs}]
    if case.trains:
        steps.append({"op": "train", "batches": written["batches"][7:10], "out": os.path.join(folder, "next")})
    interop.run_ksave(folder, "write_all", steps)
    trained = ks.ksave_training(os.path.join(folder, "next")) if case.trains else None
    return {"files": files, "predicted": interop.load_arrays(outs), "trained": trained}


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_keras3_reads_ksave_model(written, ksave_wrote, fmt):
    case = written["case"]
    model = K.models.load_model(ksave_wrote["files"][fmt])
    if case.batch_size:
        ks.reset_states(model)
    got = ks.predict(model, written["x_test_arrays"])
    worst = interop.assert_all_close(got, ksave_wrote["predicted"], f"{case.name}: Keras 3 predict of ksave's {fmt}",
                                     case.rtol, case.atol)
    REPORT.add(case.family, fmt, "ksave→keras3", "predict", worst)
    if case.trains and fmt == "keras":
        trained = ks.train(model, written["raw_batches"][7:10])
        worst = ks.assert_same_training(trained, ksave_wrote["trained"], f"{case.name}: Keras 3 resuming ksave's .keras")
        REPORT.add(case.family, fmt, "ksave→keras3", "resume training", worst)


def test_keras3_reads_ksave_weights_file(written, ksave_wrote):
    case = written["case"]
    with open(written["files"]["json"]) as f:
        model = K.models.model_from_json(f.read())
    model.load_weights(ksave_wrote["files"]["weights"])
    if case.batch_size:
        ks.reset_states(model)
    got = ks.predict(model, written["x_test_arrays"])
    worst = interop.assert_all_close(got, ksave_wrote["predicted"], f"{case.name}: Keras 3 with ksave's .weights.h5",
                                     case.rtol, case.atol)
    REPORT.add(case.family, "weights.h5", "ksave→keras3", "predict", worst)


def test_config_json_equals_keras3(written, ksave_wrote):
    """config.json in ksave's archive equals the one Keras 3 wrote for the same model, key by key."""
    import zipfile
    case = written["case"]
    with zipfile.ZipFile(written["files"]["keras"]) as z:
        theirs = json.loads(z.read("config.json"))
    with zipfile.ZipFile(ksave_wrote["files"]["keras"]) as z:
        mine = json.loads(z.read("config.json"))
    interop.assert_same_json(without_shared_object_ids(mine), without_shared_object_ids(theirs), case.name)
    REPORT.add(case.family, "keras", "keras3→ksave→keras3", "config.json equal")


def without_shared_object_ids(value):
    """Keras 3 marks an object serialized more than once (the layers' one DTypePolicy, an
    initializer a recurrent layer shares with its cell) with shared_object_id, the Python id() of
    the object: a number of the writing process, which no other writer can reproduce and which
    Keras 3 only uses to share the object again when loading. Compared without them."""
    if isinstance(value, dict):
        return {k: without_shared_object_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [without_shared_object_ids(v) for v in value]
    return value
