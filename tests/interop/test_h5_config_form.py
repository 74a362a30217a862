"""The model config ksave writes into an .h5 file has tf-keras 2.21's form, object by object: a
model's layer entries {"class_name", "config"}, while the layers a wrapper or an RNN holds (its
`layer`, `backward_layer`, `cell`, a stack's `cells`) and nested objects (initializers) carry
tf-keras's serialize_keras_object keys (module, registered_name, build_config once built).
tf-keras writes a model with every such holder as .h5; ksave loads it and writes its own .h5;
the keys of every serialized object must be tf-keras's. (test_tf_keras.py checks the same for
every case of the model matrix.)
"""
import os

import interop

interop.quiet_tensorflow()
import tf_keras as K  # noqa: E402


def build():
    L = K.layers
    inputs = K.Input((4, 3))
    x = L.TimeDistributed(L.Dense(2, kernel_initializer="he_normal"))(inputs)
    x = L.Bidirectional(L.LSTM(2, return_sequences=True), backward_layer=L.LSTM(2, return_sequences=True, go_backwards=True))(x)
    x = L.RNN([L.LSTMCell(2), L.GRUCell(3)], return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(2))(x)
    return K.Model(inputs, L.Dense(1)(x))


def test_ksave_h5_config_has_tf_keras_form():
    folder = interop.case_dir("h5_config_form")
    K.utils.set_random_seed(3)
    theirs = os.path.join(folder, "tf_keras.h5")
    build().save(theirs)
    ours = os.path.join(folder, "ksave.h5")
    interop.run_ksave(folder, "resave", [{"op": "load_model", "path": theirs, "compile": False},
                                         {"op": "save_model", "path": ours}])
    interop.assert_same_h5_config_form(ours, theirs, "TimeDistributed, Bidirectional, stacked cells")
