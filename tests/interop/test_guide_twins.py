"""The guide's examples (examples/*.cpp) against their real-Keras twins.

Each test runs one example program, then redoes the guide's Python with tf-keras 2.21 on the data
the example handed over (<work>/guide/<example>/twin/, see guide::twin_tensor in
examples/guide_support.hpp) and on the files it saved: real Keras loads ksave's files and
predicts ksave's numbers, resumes training from ksave's optimizer state to ksave's weights,
trains from ksave's initial weights to ksave's trained weights, and writes the same configs,
checkpoint keys and summaries for the same models.
"""
import csv
import json
import os
import subprocess

import numpy as np
import pytest

import interop

interop.quiet_tensorflow()
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import keras as keras3  # noqa: E402

EXAMPLES = os.environ.get("KSAVE_EXAMPLES_BIN", "")
REPORT = interop.Report("guide_twins")


def run_example(name):
    """Runs example_NAME with its files in the suite's work folder and returns its folder."""
    program = os.path.join(EXAMPLES, f"example_{name}")
    if not os.path.isfile(program):
        pytest.fail(f"{program} is missing (KSAVE_EXAMPLES_BIN={EXAMPLES!r}): build the examples")
    work = interop.case_dir("guide")
    done = subprocess.run([program], env=dict(os.environ, KSAVE_TEST_TMP=work), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"example_{name} failed:\n{done.stdout}\n{done.stderr}"
    return os.path.join(work, name)


def handed(folder, name):
    return np.load(os.path.join(folder, "twin", f"{name}.npy"))


def handed_list(folder, name):
    arrays = []
    while os.path.exists(os.path.join(folder, "twin", f"{name}_{len(arrays)}.npy")):
        arrays.append(handed(folder, f"{name}_{len(arrays)}"))
    assert arrays, f"the example handed no '{name}' tensors"
    return arrays


def handed_json(folder, name):
    with open(os.path.join(folder, "twin", f"{name}.json")) as f:
        return json.load(f)


def as_json(document):
    """A Keras config as JSON would carry it (numpy scalars and tuples become plain values)."""
    return json.loads(json.dumps(document, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def as_ksave_spells_modules(config):
    """Keras's config with its `module` values as ksave writes them: tf-keras's own package path
    in the Keras 2 package's spelling ("tf_keras.src.engine.functional" -> "keras.src.engine.
    functional", which tf-keras maps back and Keras 2.15 reads), and null for a class defined in
    Python (a C++ class has no Python module; Keras finds it by registered_name)."""
    if isinstance(config, list):
        return [as_ksave_spells_modules(v) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: as_ksave_spells_modules(v) for k, v in config.items()}
    module = out.get("module")
    if isinstance(module, str) and module.startswith("tf_keras."):
        out["module"] = "keras." + module[len("tf_keras."):]
    elif isinstance(module, str) and module != "builtins" and not module.startswith("keras"):
        out["module"] = None
    return out


def assert_same_config(ours, keras_config, what):
    ours, theirs = as_json(ours), as_ksave_spells_modules(as_json(keras_config))
    assert ours == theirs, f"{what}:\n  ksave: {json.dumps(ours, sort_keys=True)}\n  Keras: {json.dumps(theirs, sort_keys=True)}"


# The guide's objects, in Python ----------------------------------------------------------------

def get_model():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model


def digits_mlp(output_units, name):
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(output_units, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name=name)


def digits_sequential():
    return keras.Sequential([keras.Input(shape=(784,), name="digits"),
                             keras.layers.Dense(64, activation="relu", name="dense_1"),
                             keras.layers.Dense(64, activation="relu", name="dense_2"),
                             keras.layers.Dense(10, name="predictions")])


class CustomLayer(keras.layers.Layer):
    """The guide's CustomLayer. Its weights are named here: as the guide writes it (add_weight
    without a name), tf-keras 2.21 can neither save nor load it as a SavedModel ('NoneType' object
    has no attribute 'replace', from TensorFlow's object paths)."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def custom_activation(x):
    return tf.nn.tanh(x) ** 2


CUSTOM_OBJECTS = {"CustomLayer": CustomLayer, "custom_activation": custom_activation}


def make_custom_model(layer_class=CustomLayer, activation=custom_activation):
    inputs = keras.Input((32,))
    x = layer_class(32)(inputs)
    outputs = keras.layers.Activation(activation)(x)
    return keras.Model(inputs, outputs)


class VarLayer(keras.layers.Layer):
    """The guide's config-methods CustomLayer (self.var = tf.Variable(a, name="var_a")); the
    guide's version skips super().__init__(), which tf-keras 2.21 refuses, so it is called here."""

    def __init__(self, a):
        super().__init__()
        self.var = tf.Variable(a, name="var_a")

    def call(self, inputs, training=False):
        return inputs * self.var if training else inputs

    def get_config(self):
        return {"a": self.var.numpy()}


VarLayer.__name__ = VarLayer.__qualname__ = "CustomLayer"  # the guide's class name, which configs carry


def assert_trains_like_ksave(folder, what):
    """get_model() from ksave's initial weights, one epoch of fit: ksave's trained weights."""
    x, y = handed_list(folder, "data")
    model = get_model()
    model.set_weights(handed_list(folder, "initial_weights"))
    model.fit(x, y, shuffle=False, verbose=0)
    interop.assert_all_close(model.get_weights(), handed_list(folder, "trained_weights"), f"{what}: one epoch of fit")


def assert_resumes_like_ksave(model, folder, what):
    """A model loaded from ksave's file predicts ksave's numbers and its next epoch gives ksave's."""
    x, y = handed_list(folder, "data")
    interop.assert_close(model.predict(x, verbose=0), handed(folder, "prediction"), f"{what}: predict")
    model.fit(x, y, shuffle=False, verbose=0)
    interop.assert_all_close(model.get_weights(), handed_list(folder, "resumed_weights"), f"{what}: the next epoch")


def checkpoint_keys(prefix):
    return sorted((name, tuple(shape)) for name, shape in tf.train.list_variables(prefix))


# One test per example ---------------------------------------------------------------------------

def test_h5_whole_model():
    folder = run_example("h5_whole_model")
    assert_trains_like_ksave(folder, "get_model()")
    assert_resumes_like_ksave(keras.models.load_model(os.path.join(folder, "my_h5_model.h5")), folder, "my_h5_model.h5")
    # A .keras name gives the Keras 3 archive, which Keras 3 loads (tf-keras 2.21 reads only its own
    # .keras flavour, and refuses Keras 3's own files just as it refuses this one).
    keras_path = os.path.join(folder, "my_keras_model.keras")
    assert_resumes_like_ksave(keras3.models.load_model(keras_path), folder, "my_keras_model.keras in Keras 3")
    REPORT.add("guide examples", "h5 + .keras", "ksave→tf-keras (guide twin)", "h5_whole_model")


def test_savedmodel_whole_model(tmp_path):
    folder = run_example("savedmodel_whole_model")
    assert_trains_like_ksave(folder, "get_model()")
    path = os.path.join(folder, "my_model")
    # tf-keras 2.21 does not restore a (new) optimizer's state from any SavedModel, its own
    # included (measured: iterations 0 after load, and the next epoch 1.1e-4 away from the
    # uninterrupted run). So ksave's folder must resume in tf-keras as tf-keras's own folder of the
    # same trained model does.
    x, y = handed_list(folder, "data")
    loaded = keras.models.load_model(path)
    interop.assert_close(loaded.predict(x, verbose=0), handed(folder, "prediction"), "my_model: predict")
    loaded.fit(x, y, shuffle=False, verbose=0)
    own_model = get_model()
    own_model.set_weights(handed_list(folder, "initial_weights"))
    own_model.fit(x, y, shuffle=False, verbose=0)
    own_model.save(tmp_path / "own_trained")
    own = keras.models.load_model(tmp_path / "own_trained")
    own.fit(x, y, shuffle=False, verbose=0)
    interop.assert_all_close(loaded.get_weights(), own.get_weights(), "my_model's next epoch vs tf-keras's own SavedModel's")
    # The folder holds what tf-keras's own SavedModel holds.
    own = tmp_path / "own"
    get_model().save(own)
    assert set(os.listdir(own)) <= set(os.listdir(path)), f"{sorted(os.listdir(path))} vs tf-keras {sorted(os.listdir(own))}"
    # tf.saved_model.load("my_model"): the serving signature computes the model.
    x, _ = handed_list(folder, "data")
    serving = tf.saved_model.load(path).signatures["serving_default"]
    (served,) = serving(tf.constant(x)).values()
    interop.assert_close(served.numpy(), handed(folder, "prediction"), "my_model: serving_default")
    # save_traces=False: loads from its config, with the weights after the second epoch.
    no_traces = keras.models.load_model(os.path.join(folder, "my_model_no_traces"))
    interop.assert_all_close(no_traces.get_weights(), handed_list(folder, "resumed_weights"), "my_model_no_traces")
    # The custom model without traces loads with its classes only, in Keras too.
    custom_path = os.path.join(folder, "custom_no_traces")
    x_custom, y_custom = handed_list(folder, "custom")
    custom = keras.models.load_model(custom_path, custom_objects=CUSTOM_OBJECTS)
    interop.assert_close(custom.predict(x_custom, verbose=0), y_custom, "custom_no_traces with custom_objects")
    with pytest.raises(Exception):
        keras.models.load_model(custom_path)
    REPORT.add("guide examples", "savedmodel", "ksave→tf-keras (guide twin)", "savedmodel_whole_model")


def test_savedmodel_custom_model():
    folder = run_example("savedmodel_custom_model")
    x, y = handed_list(folder, "call")
    path = os.path.join(folder, "my_model")
    loaded_1 = keras.models.load_model(path, custom_objects={"CustomLayer": CustomLayer})
    assert type(loaded_1.layers[1]) is CustomLayer
    interop.assert_close(loaded_1.predict(x, verbose=0), y, "loaded with custom_objects")
    # Without the class, tf-keras revives the layer from ksave's traced call.
    loaded_2 = keras.models.load_model(path)
    assert type(loaded_2.layers[1]) is not CustomLayer
    interop.assert_close(loaded_2.predict(x, verbose=0), y, "revived from the traces")
    REPORT.add("guide examples", "savedmodel", "ksave→tf-keras (guide twin)", "savedmodel_custom_model")


def test_h5_weights():
    folder = run_example("h5_weights")
    sequential_model = digits_sequential()
    sequential_model.load_weights(os.path.join(folder, "weights.h5"))
    interop.assert_all_close(sequential_model.get_weights(), handed_list(folder, "sequential_weights"), "weights.h5")
    # The transfer-learning recipe: pretrained weights, then the extracted layers and a new head.
    pretrained_model = digits_mlp(10, "3_layer_mlp")
    pretrained_model.load_weights(os.path.join(folder, "pretrained_weights.h5"))
    functional_weights = handed_list(folder, "functional_weights")
    interop.assert_all_close(pretrained_model.get_weights(), functional_weights, "pretrained_weights.h5")
    extracted_layers = pretrained_model.layers[:-1]
    extracted_layers.append(keras.layers.Dense(5, name="dense_3"))
    model = keras.Sequential(extracted_layers)
    assert model.count_params() == 54725
    interop.assert_all_close(model.get_weights()[:4], functional_weights[:4], "the extracted layers' weights")
    REPORT.add("guide examples", "h5 weights", "ksave→tf-keras (guide twin)", "h5_weights")


def test_checkpoint_save_load_weights(tmp_path):
    folder = run_example("checkpoint_save_load_weights")
    model = digits_sequential()
    model.load_weights(os.path.join(folder, "ckpt")).assert_consumed()
    interop.assert_all_close(model.get_weights(), handed_list(folder, "sequential_weights"), "ckpt")
    # The same keys and shapes as tf-keras's own save_weights of the same model.
    digits_sequential().save_weights(str(tmp_path / "ckpt"))
    assert checkpoint_keys(os.path.join(folder, "ckpt")) == checkpoint_keys(str(tmp_path / "ckpt"))
    REPORT.add("guide examples", "tf checkpoint", "ksave→tf-keras (guide twin)", "checkpoint_save_load_weights")


def test_checkpoint_transfer_learning():
    folder = run_example("checkpoint_transfer_learning")
    model = digits_mlp(5, "new_model")
    model.load_weights(os.path.join(folder, "pretrained_ckpt"))
    pretrained = handed_list(folder, "pretrained_weights")
    interop.assert_all_close(model.get_weights()[:len(pretrained)], pretrained, "pretrained_ckpt into new_model")
    REPORT.add("guide examples", "tf checkpoint", "ksave→tf-keras (guide twin)", "checkpoint_transfer_learning")


def test_checkpoint_chosen_variables():
    folder = run_example("checkpoint_chosen_variables")

    class ContrivedModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.first_dense = keras.layers.Dense(64)
            self.kernel = self.add_weight("kernel", shape=(64, 10))
            self.bias = self.add_weight("bias", shape=(10,))

        def call(self, inputs):
            return tf.matmul(self.first_dense(inputs), self.kernel) + self.bias

    model = ContrivedModel()
    _ = model(tf.ones((1, 784)))
    checkpoint = tf.train.Checkpoint(dense=model.first_dense, kernel=model.kernel, bias=model.bias)
    checkpoint.restore(tf.train.latest_checkpoint(folder)).assert_consumed()
    restored = [model.first_dense.kernel, model.first_dense.bias, model.kernel, model.bias]
    interop.assert_all_close([v.numpy() for v in restored], handed_list(folder, "saved"), "the chosen variables")
    REPORT.add("guide examples", "tf checkpoint", "ksave→tf-keras (guide twin)", "checkpoint_chosen_variables")


def test_checkpoint_custom_layer_key(tmp_path):
    folder = run_example("checkpoint_custom_layer_key")
    ours = tf.train.load_checkpoint(os.path.join(folder, "custom_layer-1"))
    theirs_path = tf.train.Checkpoint(layer=VarLayer(5)).save(str(tmp_path / "custom_layer"))
    theirs = tf.train.load_checkpoint(theirs_path)
    assert ours.get_variable_to_dtype_map() == theirs.get_variable_to_dtype_map()
    layer = VarLayer(0)
    tf.train.Checkpoint(layer=layer).restore(os.path.join(folder, "custom_layer-1")).assert_consumed()
    assert int(layer.var.numpy()) == 5
    REPORT.add("guide examples", "tf checkpoint", "ksave→tf-keras (guide twin)", "checkpoint_custom_layer_key")


def test_checkpoint_nested_pitfall():
    folder = run_example("checkpoint_nested_pitfall")
    path = os.path.join(folder, "pretrained_ckpt")
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    pretrained_model = keras.Model(inputs=inputs, outputs=x, name="pretrained")
    model = keras.Sequential([pretrained_model, keras.layers.Dense(5, name="predictions")])
    before = model.get_weights()
    # The pitfall in TF 2.21: model.load_weights raises (the guide, older, says it loads nothing
    # silently), as ksave's does, and changes nothing.
    with pytest.raises(ValueError, match="incompatible tensor with shape"):
        model.load_weights(path)
    interop.assert_all_close(model.get_weights(), before, "weights after the wrong load_weights")
    pretrained_model.load_weights(path).assert_consumed()
    interop.assert_all_close(pretrained_model.get_weights(), handed_list(folder, "pretrained_weights"),
                             "pretrained_model.load_weights")
    REPORT.add("guide examples", "tf checkpoint", "ksave→tf-keras (guide twin)", "checkpoint_nested_pitfall")


def test_config_methods():
    folder = run_example("config_methods")
    layer = VarLayer(5)
    layer.var.assign(2)
    assert_same_config(handed_json(folder, "serialized_layer"), keras.layers.serialize(layer), "serialize(layer)")
    REPORT.add("guide examples", "config", "ksave→tf-keras (guide twin)", "config_methods")


def test_config_round_trip():
    folder = run_example("config_round_trip")
    keras.backend.clear_session()  # Keras's automatic names count from a fresh session, as a new program's
    layer = keras.layers.Dense(3, activation="relu")
    assert_same_config(handed_json(folder, "layer_config"), layer.get_config(), "Dense(3, relu).get_config()")
    new_layer = keras.layers.Dense.from_config(layer.get_config())
    keras.layers.deserialize(keras.layers.serialize(layer))
    del new_layer
    sequential = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    assert_same_config(handed_json(folder, "sequential_config"), sequential.get_config(), "Sequential.get_config()")
    keras.Sequential.from_config(sequential.get_config())
    inputs = keras.Input((32,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    assert_same_config(handed_json(folder, "functional_config"), functional.get_config(), "Model.get_config()")
    REPORT.add("guide examples", "config", "ksave→tf-keras (guide twin)", "config_round_trip")


def test_model_to_json():
    folder = run_example("model_to_json")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    assert_same_config(handed_json(folder, "json_config"), json.loads(model.to_json()), "to_json()")
    REPORT.add("guide examples", "json", "ksave→tf-keras (guide twin)", "model_to_json")


def test_custom_objects():
    folder = run_example("custom_objects")
    keras.backend.clear_session()
    model = make_custom_model()
    assert_same_config(handed_json(folder, "config"), keras.layers.serialize(model), "serialize(model)")
    keras.models.model_from_config(handed_json(folder, "config"), custom_objects=CUSTOM_OBJECTS)
    # Registered with package="Custom": Keras writes and resolves "Custom>CustomLayer".
    registered_layer = keras.saving.register_keras_serializable(package="Custom")(
        type("CustomLayer", (CustomLayer,), {}))

    def custom_activation(x):  # noqa: F811 — the registered twin of the module-level function
        return tf.nn.tanh(x) ** 2

    registered_activation = keras.saving.register_keras_serializable(package="Custom")(custom_activation)
    registered_model = make_custom_model(registered_layer, registered_activation)
    ours = handed_json(folder, "registered_config")
    theirs = keras.layers.serialize(registered_model)
    # The models are the second ones of the program: names differ by their counter only.
    assert_same_config(rename_second_model(ours), rename_second_model(theirs), "serialize(registered model)")
    keras.models.model_from_config(ours)
    REPORT.add("guide examples", "config", "ksave→tf-keras (guide twin)", "custom_objects")


def rename_second_model(config):
    """The registered model's automatic names, whatever their counters (they depend on how many
    models the program made before), so that the comparison is about everything else."""
    text = json.dumps(as_json(config))
    for prefix in ("model", "input", "custom_layer", "activation"):
        for n in range(1, 4):
            text = text.replace(f'"{prefix}_{n}"', f'"{prefix}_N"')
        text = text.replace(f'"{prefix}"', f'"{prefix}_N"')
    return json.loads(text)


def test_clone_model():
    folder = run_example("clone_model")
    keras.backend.clear_session()
    model = make_custom_model()
    with keras.utils.custom_object_scope(CUSTOM_OBJECTS):
        new_model = keras.models.clone_model(model)
    assert_same_config(handed_json(folder, "clone_config"), new_model.get_config(), "clone_model(model).get_config()")
    REPORT.add("guide examples", "config", "ksave→tf-keras (guide twin)", "clone_model")


def test_nested_weight_order():
    folder = run_example("nested_weight_order")

    class NestedDenseLayer(keras.layers.Layer):
        def __init__(self, units, name=None):
            super().__init__(name=name)
            self.dense_1 = keras.layers.Dense(units, name="dense_1")
            self.dense_2 = keras.layers.Dense(units, name="dense_2")

        def call(self, inputs):
            return self.dense_2(self.dense_1(inputs))

    nested_model = keras.Sequential([keras.Input((784,)), NestedDenseLayer(10, "nested")])
    before = [v.name for v in nested_model.weights]
    nested_model.get_layer("nested").dense_1.trainable = False
    after = [v.name for v in nested_model.weights]
    assert handed_json(folder, "variable_names") == {"before": before, "after": after}
    REPORT.add("guide examples", "in memory", "ksave→tf-keras (guide twin)", "nested_weight_order")


def test_weight_transfer():
    folder = run_example("weight_transfer")

    class SubclassedModel(keras.Model):
        def __init__(self, output_dim, name=None):
            super().__init__(name=name)
            self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
            self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
            self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

        def call(self, inputs):
            return self.dense_3(self.dense_2(self.dense_1(inputs)))

    subclassed_model = SubclassedModel(10)
    _ = subclassed_model(tf.ones((1, 784)))
    subclassed_model.set_weights(handed_list(folder, "functional_weights"))
    x = np.full((3, 784), 0.25, np.float32)
    interop.assert_close(subclassed_model.predict(x, verbose=0), handed(folder, "subclassed_prediction"),
                         "SubclassedModel with the functional model's weights")
    REPORT.add("guide examples", "in memory", "ksave→tf-keras (guide twin)", "weight_transfer")


def summary_rows(lines):
    """A summary's content, row by row as tokens: the layer rows and the parameter totals as
    numbers. Layout is left out: ksave prints the guide's tables (rules between rows); tf-keras
    2.21 indents rows, puts blank lines between them and adds the totals' size in bytes."""
    rows = []
    for line in lines:
        if line.startswith("Non-trainable params"):
            rows.append(["Non-trainable", "params:", line.split(":")[1].split("(")[0].strip().replace(",", "")])
            break
        if line.split(":")[0] in ("Total params", "Trainable params"):
            line = line.split(":")[0] + ": " + line.split(":")[1].split("(")[0].strip().replace(",", "")
        if line.strip() and set(line.strip()) - set("_="):
            rows.append(line.split())
    return rows


def keras_summary(model):
    lines = []
    model.summary(print_fn=lambda text, *args, **kwargs: lines.extend(text.split("\n")))
    return summary_rows(lines)


def test_pretrained_summary():
    folder = run_example("pretrained_summary")
    if not os.path.isdir(os.path.join(folder, "twin")):
        pytest.skip("the example found no guide (../shared/seed) and compared nothing")
    functional_model = digits_mlp(10, "3_layer_mlp")
    pretrained = keras.Model(functional_model.inputs, functional_model.layers[-1].input, name="pretrained_model")
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    nested = keras.Sequential([keras.Model(inputs=inputs, outputs=x, name="pretrained"),
                               keras.layers.Dense(5, name="predictions")], name="sequential_3")
    extracted = keras.Sequential(digits_mlp(10, "3_layer_mlp").layers[:-1] + [keras.layers.Dense(5, name="dense_3")],
                                 name="sequential_6")
    for model in (pretrained, digits_mlp(5, "new_model"), nested, extracted):
        ours, theirs = summary_rows(handed_json(folder, model.name)), keras_summary(model)
        assert ours == theirs, f"summary of {model.name}:\n  ksave:    {ours}\n  tf-keras: {theirs}"
    REPORT.add("guide examples", "summary", "ksave→tf-keras (guide twin)", "pretrained_summary")


def test_tensorboard_plot_history():
    folder = run_example("tensorboard_plot_history")
    x, _, prediction = handed_list(folder, "data")
    model = keras.models.load_model(os.path.join(folder, "model.h5"))
    interop.assert_close(model.predict(x, verbose=0), prediction, "model.h5 after fit")
    # TensorBoard's own reader finds the epoch losses that the CSV history holds.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    with open(os.path.join(folder, "history.csv"), newline="") as f:
        history = list(csv.DictReader(f))
    for run, column in (("train", "loss"), ("validation", "val_loss")):
        events = EventAccumulator(os.path.join(folder, "logs", run), size_guidance={"tensors": 0}).Reload()
        logged = [float(tf.make_ndarray(e.tensor_proto)) for e in events.Tensors("epoch_loss")]
        interop.assert_close(np.array(logged), np.array([float(row[column]) for row in history]),
                             f"logs/{run} epoch_loss vs history.csv {column}")
    REPORT.add("guide examples", "h5 + TensorBoard events", "ksave→tf-keras (guide twin)", "tensorboard_plot_history")
