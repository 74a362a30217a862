"""CuDNNLSTM and CuDNNGRU (Keras 2.0-2.3; tf-keras 2.21 still builds and saves them on a CPU) in
`.h5` files: ksave loads them as LSTM and GRU, converting the weights as Keras's own HDF5 loader
does (_convert_rnn_weights), and predicts what tf-keras predicts with the same file's weights
loaded into an LSTM/GRU twin (Keras's conversion, the truth here). ksave's `.h5` of the model
loads in tf-keras as LSTM/GRU with the same predictions.
"""
import os

import pytest

import interop

interop.quiet_tensorflow()
import numpy as np  # noqa: E402


@pytest.fixture(scope="module")
def case():
    import tensorflow as tf
    import tf_keras as K
    from tf_keras.src.layers.rnn.cudnn_gru import CuDNNGRU
    from tf_keras.src.layers.rnn.cudnn_lstm import CuDNNLSTM
    folder = interop.case_dir("cudnn_rnn", "tf_keras")
    tf.keras.utils.set_random_seed(23)
    x = K.Input((5, 3), name="x")
    cudnn = K.Model(x, CuDNNGRU(2, name="gru")(CuDNNLSTM(4, return_sequences=True, name="lstm")(x)))
    rng = interop.seeded(23)
    for layer in cudnn.layers[1:]:  # every weight random, biases included
        layer.set_weights([rng.uniform(-1.0, 1.0, w.shape).astype(np.float32) for w in layer.get_weights()])
    path = os.path.join(folder, "cudnn.h5")
    cudnn.save(path)
    t = K.Input((5, 3), name="x")
    twin = K.Model(t, K.layers.GRU(2, name="gru")(K.layers.LSTM(4, return_sequences=True, name="lstm")(t)))
    twin.load_weights(path)  # Keras converts the CuDNN weights here
    data = rng.normal(0.0, 1.0, size=(6, 5, 3)).astype(np.float32)
    return folder, path, data, twin.predict(data, verbose=0)


def test_cudnn_h5_predicts_in_ksave_and_saves_back_as_lstm_gru(case):
    import tf_keras as K
    folder, path, data, expected = case
    inputs = interop.save_arrays(folder, "x", [data])
    out = os.path.join(folder, "ksave_y.npy")
    saved = os.path.join(folder, "ksave.h5")
    interop.run_ksave(folder, "cudnn", [{"op": "load_model", "path": path, "compile": False},
                                        {"op": "predict", "inputs": inputs, "outputs": [out]},
                                        {"op": "save_model", "path": saved}])
    interop.assert_close(np.load(out), expected, "ksave predict of tf-keras's CuDNNLSTM/CuDNNGRU .h5")
    reloaded = K.models.load_model(saved, compile=False)
    assert [layer.__class__.__name__ for layer in reloaded.layers] == ["InputLayer", "LSTM", "GRU"]
    interop.assert_close(reloaded.predict(data, verbose=0), expected, "tf-keras predict of ksave's .h5 of the CuDNN model")
