"""tf-keras 2.21 (the guide's Keras 2 API) against ksave, both ways, for every case of models.py.

Direction 1: tf-keras trains two steps (so optimizer state is not zero), then writes the model as
`.h5`, as a SavedModel folder, its weights as `.h5` and as a TF checkpoint, and its `to_json`.
ksave loads each and predicts what tf-keras predicts; from the whole-model files it trains the
next three steps and matches tf-keras's losses and weights.

Direction 2: ksave loads the tf-keras `.h5`, trains two more steps, and writes every format it
writes; tf-keras loads each (load_model, tf.saved_model.load + serving_default, load_weights with
assert_consumed) and predicts what ksave predicts; from the whole-model files tf-keras trains the
next three steps and matches ksave's.
"""
import json
import os

import pytest

import interop
import keras_side as ks
import models

interop.quiet_tensorflow()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as K  # noqa: E402

# The cases tf-keras builds only under TF_USE_LEGACY_KERAS=1 run apart, in a test with it set
# (and a report of their own: summarize.py takes a suite's newest shard layout).
LEGACY_KERAS = os.environ.get("TF_USE_LEGACY_KERAS") == "1"
REPORT = interop.Report("tf_keras_legacy" if LEGACY_KERAS else "tf_keras")

# Each case trains with another optimizer, so every optimizer's state crosses every format.
OPTIMIZERS = [
    ("Adam", lambda: K.optimizers.Adam(learning_rate=0.01)),
    ("RMSprop(centered, momentum)", lambda: K.optimizers.RMSprop(learning_rate=0.01, centered=True, momentum=0.5)),
    ("SGD(nesterov)", lambda: K.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("Nadam", lambda: K.optimizers.Nadam(learning_rate=0.01)),
    ("Adagrad", lambda: K.optimizers.Adagrad(learning_rate=0.05)),
    ("Adamax", lambda: K.optimizers.Adamax(learning_rate=0.01)),
    ("Adadelta", lambda: K.optimizers.Adadelta(learning_rate=1.0)),
    ("legacy Adam(amsgrad)", lambda: K.optimizers.legacy.Adam(learning_rate=0.01, amsgrad=True)),
    ("legacy RMSprop", lambda: K.optimizers.legacy.RMSprop(learning_rate=0.01)),
    ("legacy SGD(momentum)", lambda: K.optimizers.legacy.SGD(learning_rate=0.05, momentum=0.8)),
]

CASES = models.shard([c for c in models.CASES if c.tf_keras and c.needs_legacy_keras == LEGACY_KERAS])


def optimizer_for(index):
    return OPTIMIZERS[index % len(OPTIMIZERS)]


def inputs_of(x):
    return x if len(x) > 1 else x[0]


def build(case, index):
    K.utils.set_random_seed(1000 + index)
    model = case.build(K)
    _, make_optimizer = optimizer_for(index)
    model.compile(optimizer=make_optimizer(), loss=case.loss, metrics=case.metrics)
    return model


def keras_writes(case, index, folder):
    """Direction 1's files, the test input, and what tf-keras predicts and trains after saving."""
    model = build(case, index)
    batches = ks.make_batches(model, case, 2000 + index, 10)
    ks.train(model, batches[:2])
    files = {}
    if not case.subclassed:
        # to_json first: tf-keras's .h5 save flags nested Sequentials (use_legacy_config) so that
        # every later to_json writes their layers in the legacy form.
        files["json"] = os.path.join(folder, "model.json")
        with open(files["json"], "w") as f:
            f.write(model.to_json())
        files["h5"] = os.path.join(folder, "model.h5")
        model.save(files["h5"])
    files["savedmodel"] = os.path.join(folder, "savedmodel")
    model.save(files["savedmodel"], save_format="tf")
    files["weights_h5"] = os.path.join(folder, "weights.h5")
    model.save_weights(files["weights_h5"])
    files["checkpoint"] = os.path.join(folder, "ckpt", "weights")
    model.save_weights(files["checkpoint"])
    x_test = ks.make_inputs(case, interop.seeded(3000 + index), case.batch_size or ks.TEST_ROWS)
    if case.batch_size:  # stateful: predictions depend on the states; start from zero states
        ks.reset_states(model)
    expected = ks.predict(model, x_test)
    if case.batch_size:
        ks.reset_states(model)
    trained = ks.train(model, batches[2:5])
    return model, batches, files, x_test, expected, trained


@pytest.fixture(scope="module", params=range(len(CASES)), ids=[c.name for c in CASES])
def written(request):
    case = CASES[request.param]
    index = models.CASES.index(case)  # seeds and optimizer do not depend on the sharding
    folder = interop.case_dir("tf_keras", case.name)
    model, batches, files, x_test, expected, trained = keras_writes(case, index, folder)
    return {"case": case, "index": index, "folder": folder, "model": model, "files": files,
            "batches": ks.save_batches(folder, batches), "raw_batches": batches,
            "x_test": interop.save_arrays(folder, "x_test", x_test), "x_test_arrays": x_test,
            "expected": expected, "trained": trained}


def ksave_predicts(w, name, load_steps):
    """Runs ksave's load steps then predict; returns its outputs."""
    folder = w["folder"]
    outs = [os.path.join(folder, f"ksave_{name}_y{i}.npy") for i in range(len(w["expected"]))]
    interop.run_ksave(folder, f"read_{name}", load_steps + [{"op": "predict", "inputs": w["x_test"], "outputs": outs}])
    return interop.load_arrays(outs)


# ------------------------------------------------------------------------------ direction 1


@pytest.mark.parametrize("fmt", ["h5", "savedmodel"])
def test_ksave_reads_whole_model(written, fmt):
    case = written["case"]
    if fmt not in written["files"]:
        pytest.skip(f"{case.name}: tf-keras does not write a subclassed model as {fmt}")
    folder = written["folder"]
    path = written["files"][fmt]
    got = ksave_predicts(written, fmt, [{"op": "load_model", "path": path}])
    worst = interop.assert_all_close(got, written["expected"], f"{case.name}: ksave predict of tf-keras {fmt}",
                                     case.rtol, case.atol)
    REPORT.add(case.family, fmt, "tf-keras→ksave", "predict", worst)
    if not case.trains:
        return
    out = os.path.join(folder, f"ksave_resumed_{fmt}")
    interop.run_ksave(folder, f"resume_{fmt}", [{"op": "load_model", "path": path},
                                                 {"op": "train", "batches": written["batches"][2:5], "out": out}])
    worst, reference = ks.assert_resumes(
        ks.ksave_training(out), written["trained"], lambda: keras_resumes(written, path, written["raw_batches"][2:5]),
        f"{case.name}: ksave resuming tf-keras's {fmt} ({optimizer_for(written['index'])[0]})")
    REPORT.add(case.family, fmt, "tf-keras→ksave", f"resume training: {reference}", worst)


@pytest.mark.parametrize("fmt", ["weights_h5", "checkpoint"])
def test_ksave_reads_weights(written, fmt):
    case = written["case"]
    if case.subclassed:
        pytest.skip("a subclassed model has no architecture file to rebuild it from in ksave")
    path = written["files"][fmt]
    got = ksave_predicts(written, fmt, [{"op": "model_from_json", "path": written["files"]["json"]},
                                        {"op": "load_weights", "path": path, "assert_consumed": fmt != "checkpoint"}])
    worst = interop.assert_all_close(got, written["expected"], f"{case.name}: ksave predict with tf-keras {fmt}",
                                     case.rtol, case.atol)
    REPORT.add(case.family, fmt, "tf-keras→ksave", "predict", worst)


def test_to_json_equals_keras(written):
    """ksave's to_json of the model rebuilt from tf-keras's JSON is tf-keras's JSON, key by key and in order."""
    case = written["case"]
    if case.subclassed:
        pytest.skip("a subclassed model has no config")
    folder = written["folder"]
    ours = os.path.join(folder, "ksave_model.json")
    interop.run_ksave(folder, "to_json", [{"op": "model_from_json", "path": written["files"]["json"]},
                                          {"op": "to_json", "path": ours}])
    with open(written["files"]["json"]) as f:
        theirs_text = f.read()
    with open(ours) as f:
        ours_text = f.read()
    theirs = json.loads(theirs_text)
    mine = json.loads(ours_text)
    interop.assert_same_json(mine, theirs, case.name)
    REPORT.add(case.family, "json", "tf-keras→ksave→tf-keras", "to_json equal")


def test_h5_config_form_equals_keras(written, ksave_wrote):
    """Every object of the model config in ksave's .h5 has the keys tf-keras's own .h5 gives it
    (model layer entries, held layers and cells, initializers, ...)."""
    if written["case"].subclassed:
        pytest.skip("a subclassed model has no .h5 config")
    interop.assert_same_h5_config_form(ksave_wrote["files"]["h5"], written["files"]["h5"], written["case"].name)
    REPORT.add(written["case"].family, "h5", "ksave→tf-keras", "model config form equal")


# ------------------------------------------------------------------------------ direction 2


@pytest.fixture(scope="module")
def ksave_wrote(written):
    """ksave loads tf-keras's .h5 (or SavedModel), trains two steps, writes every format, predicts,
    and trains three more steps."""
    case = written["case"]
    folder = interop.case_dir("tf_keras", case.name, "ksave_wrote")
    source = written["files"].get("h5", written["files"]["savedmodel"])
    files = {"h5": os.path.join(folder, "model.h5"), "savedmodel": os.path.join(folder, "savedmodel"),
             "weights_h5": os.path.join(folder, "weights.h5"), "checkpoint": os.path.join(folder, "ckpt", "weights"),
             "json": os.path.join(folder, "model.json")}
    if case.subclassed:
        del files["h5"], files["json"]
    outs = [os.path.join(folder, f"pred_{i}.npy") for i in range(len(written["expected"]))]
    steps = [{"op": "load_model", "path": source}]
    if case.trains:
        steps.append({"op": "train", "batches": written["batches"][5:7], "out": os.path.join(folder, "first")})
    for fmt, path in files.items():
        if fmt == "json":
            steps.append({"op": "to_json", "path": path})
        elif fmt in ("h5", "savedmodel"):
            steps.append({"op": "save_model", "path": path, "format": fmt})
        else:
            steps.append({"op": "save_weights", "path": path, "format": "h5" if fmt == "weights_h5" else "tf-checkpoint"})
    steps.append({"op": "predict", "inputs": written["x_test"], "outputs": outs})
    if case.trains:
        steps.append({"op": "train", "batches": written["batches"][7:10], "out": os.path.join(folder, "next")})
    interop.run_ksave(folder, "write_all", steps)
    trained = ks.ksave_training(os.path.join(folder, "next")) if case.trains else None
    return {"files": files, "predicted": interop.load_arrays(outs), "trained": trained}


def keras_model_like(written, compiled=False):
    """A fresh tf-keras model of the case's architecture, for load_weights; `compiled`: with the
    case's optimizer, its slots created, so that a checkpoint's optimizer state has somewhere to go
    (assert_consumed)."""
    case = written["case"]
    if case.subclassed:
        model = case.build(K)
    else:
        with open(written["files"]["json"]) as f:
            model = K.models.model_from_json(f.read())
    if compiled:
        model.compile(optimizer=optimizer_for(written["index"])[1](), loss=case.loss, metrics=case.metrics)
        optimizer = model.optimizer
        if isinstance(optimizer, K.optimizers.legacy.Optimizer):
            optimizer._create_all_weights(model.trainable_variables)
        else:
            optimizer.build(model.trainable_variables)
    return model


def keras_resumes(written, path, batches):
    return ks.train(K.models.load_model(path), batches)


def keras_resumes_own_file(written, ksave_wrote, fmt):
    """tf-keras resuming a file it wrote itself of the state it read from ksave: the reference
    where the format loses state for tf-keras too. The state comes from ksave's .h5, which
    tf-keras reads whole; where tf-keras cannot read that .h5 (it cannot read its own .h5 of a
    model with a registered custom activation either), from ksave's file of the format itself."""
    sources = [ksave_wrote["files"][f] for f in ("h5", fmt) if f in ksave_wrote["files"]]
    own = os.path.join(written["folder"], "ksave_wrote", f"keras_resaved_{fmt}" + (".h5" if fmt == "h5" else ""))
    for i, source in enumerate(sources):
        try:
            model = K.models.load_model(source)
        except (TypeError, ValueError):
            if i + 1 == len(sources):
                raise
            continue
        model.save(own, save_format="h5" if fmt == "h5" else "tf")
        return keras_resumes(written, own, written["raw_batches"][7:10])
    return None


@pytest.mark.parametrize("fmt", ["h5", "savedmodel"])
def test_keras_reads_ksave_model(written, ksave_wrote, fmt):
    case = written["case"]
    if fmt not in ksave_wrote["files"]:
        pytest.skip(f"{case.name}: no {fmt} for a subclassed model")
    model = K.models.load_model(ksave_wrote["files"][fmt])
    if case.batch_size:
        ks.reset_states(model)
    got = ks.predict(model, written["x_test_arrays"])
    worst = interop.assert_all_close(got, ksave_wrote["predicted"], f"{case.name}: tf-keras predict of ksave's {fmt}",
                                     case.rtol, case.atol)
    REPORT.add(case.family, fmt, "ksave→tf-keras", "predict", worst)
    if case.trains:
        trained = ks.train(model, written["raw_batches"][7:10])
        worst, reference = ks.assert_resumes(trained, ksave_wrote["trained"],
                                             lambda: keras_resumes_own_file(written, ksave_wrote, fmt),
                                             f"{case.name}: tf-keras resuming ksave's {fmt}")
        REPORT.add(case.family, fmt, "ksave→tf-keras", f"resume training: {reference}", worst)


def test_tf_serves_ksave_savedmodel(written, ksave_wrote):
    """tf.saved_model.load of ksave's folder, called through serving_default."""
    case = written["case"]
    if case.batch_size:
        pytest.skip("stateful model: serving changes its states")
    loaded = tf.saved_model.load(ksave_wrote["files"]["savedmodel"])
    serving = loaded.signatures["serving_default"]
    names = sorted(serving.structured_input_signature[1].keys())
    model_inputs = written["model"].inputs or []  # None for a subclassed model
    by_name = {}
    for spec_name in names:
        # the signature's keys are the model's input names
        position = [i for i, t in enumerate(model_inputs) if t.name.split(":")[0] == spec_name]
        position = position[0] if position else names.index(spec_name)
        by_name[spec_name] = tf.constant(written["x_test_arrays"][position],
                                         dtype=serving.structured_input_signature[1][spec_name].dtype)
    result = serving(**by_name)
    output_names = written["model"].output_names or []  # None for a subclassed model: output_1, ... sorted
    got = [result[n].numpy() for n in output_names] if output_names and all(n in result for n in output_names) \
        else [result[k].numpy() for k in sorted(result)]
    worst = interop.assert_all_close(got, ksave_wrote["predicted"], f"{case.name}: serving_default of ksave's SavedModel",
                                     case.rtol, case.atol)
    REPORT.add(case.family, "savedmodel", "ksave→tf.saved_model", "serving_default", worst)


@pytest.mark.parametrize("fmt", ["weights_h5", "checkpoint"])
def test_keras_reads_ksave_weights(written, ksave_wrote, fmt):
    case = written["case"]
    model = keras_model_like(written, compiled=fmt == "checkpoint")
    status = model.load_weights(ksave_wrote["files"][fmt])
    if fmt == "checkpoint":
        status.assert_consumed()
    if case.batch_size:
        ks.reset_states(model)
    got = ks.predict(model, written["x_test_arrays"])
    worst = interop.assert_all_close(got, ksave_wrote["predicted"], f"{case.name}: tf-keras with ksave's {fmt}",
                                     case.rtol, case.atol)
    REPORT.add(case.family, fmt, "ksave→tf-keras", "predict", worst)


def test_checkpoint_listing_equals_tensorflow(written, ksave_wrote):
    """tf.train.list_variables of ksave's checkpoint equals that of tf-keras's for the same model
    (names, dtypes, shapes), and every value equals the model's weight bit for bit."""
    case = written["case"]
    ours = tf.train.load_checkpoint(ksave_wrote["files"]["checkpoint"])
    theirs = tf.train.load_checkpoint(written["files"]["checkpoint"])
    our_vars = {n: (ours.get_variable_to_dtype_map()[n], tuple(s)) for n, s in ours.get_variable_to_shape_map().items()}
    their_vars = {n: (theirs.get_variable_to_dtype_map()[n], tuple(s)) for n, s in theirs.get_variable_to_shape_map().items()}
    missing = sorted(set(their_vars) - set(our_vars))
    extra = sorted(set(our_vars) - set(their_vars))
    assert not missing and not extra, f"{case.name}: checkpoint keys differ: missing {missing}, extra {extra}"
    for name in their_vars:
        assert our_vars[name] == their_vars[name], f"{case.name}: {name}: ksave {our_vars[name]} vs TF {their_vars[name]}"
    REPORT.add(case.family, "checkpoint", "ksave→tf.train", "list_variables equal")


def test_keras_revives_ksave_custom_savedmodel_without_the_classes(written, ksave_wrote):
    """The guide: a custom-layer model saved as a SavedModel loads in TensorFlow without its
    Python classes, revived from the traced functions, and predicts the same."""
    case = written["case"]
    if case.name != "custom":
        pytest.skip("only the custom-objects case has classes to leave out")
    registered = K.saving.get_custom_objects()
    hidden = {k: registered.pop(k) for k in [k for k in registered if k.startswith("Interop>")]}
    try:
        model = K.models.load_model(ksave_wrote["files"]["savedmodel"], compile=False)
        assert not any(type(layer).__name__ == "ScaledDense" for layer in model.layers), \
            "the class was found: the test did not hide it"
        got = ks.predict(model, written["x_test_arrays"])
    finally:
        registered.update(hidden)
    worst = interop.assert_all_close(got, ksave_wrote["predicted"], f"{case.name}: tf-keras reviving ksave's SavedModel "
                                     "without the custom classes", case.rtol, case.atol)
    REPORT.add(case.family, "savedmodel", "ksave→tf-keras", "revived without the classes", worst)
