"""Models that take the ONNX export through the forms the interop suite's models do not reach:
masks into every recurrent layer (Scan), Bidirectional's merge modes and states, initial states
as inputs, recurrent activations outside ONNX's operator list, channels_first layers, layers that
map axes through the channels-first layout (PReLU, Softmax, Concatenate, Cropping), transposed
convolutions with output_padding and dilation, TimeDistributed around window layers, masked
attention, ReLU's threshold and slope, RNN around each built-in cell; and the interop suite's TF-ops and
preprocessing models. Written against the Keras API like models.py (K is tf_keras).
"""
from models import Case, Input
import test_preprocessing
import test_tf_ops


def masked_recurrent(K):
    L = K.layers
    ids = K.Input((8,))
    x = L.Embedding(12, 5, mask_zero=True)(ids)
    x = L.GRU(4, return_sequences=True, reset_after=True)(x)
    x = L.GRU(4, return_sequences=True, reset_after=False, go_backwards=True)(x)
    x = L.SimpleRNN(4, return_sequences=True)(x)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum")(x)
    forward, backward = L.Bidirectional(L.GRU(3), merge_mode=None)(x)
    return K.Model(ids, L.Dense(2)(L.Concatenate()([forward, backward])))


def bidirectional_modes(K):
    L = K.layers
    x = K.Input((6, 3))
    y = L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul")(x)
    y = L.Bidirectional(L.LSTM(3, return_sequences=True, go_backwards=True), merge_mode="ave")(y)
    y, forward_h, backward_h = L.Bidirectional(L.GRU(2, return_state=True), merge_mode="concat")(y)
    return K.Model(x, [y, forward_h, backward_h])


def initial_states(K):
    L = K.layers
    x, h, c = K.Input((5, 3)), K.Input((4,)), K.Input((4,))
    ids = K.Input((6,))
    seq = L.LSTM(4, return_sequences=True)(x, initial_state=[h, c])
    last = L.GRU(4)(seq, initial_state=[h])
    masked = L.LSTM(4)(L.Embedding(9, 3, mask_zero=True)(ids), initial_state=[h, c])
    return K.Model([x, h, c, ids], L.Dense(2)(L.Concatenate()([last, masked])))


def recurrent_activations(K):
    L = K.layers
    return K.Sequential([K.Input((5, 3)),
                         L.SimpleRNN(4, activation="swish", return_sequences=True),
                         L.LSTM(3, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True),
                         L.GRU(3, activation="elu", recurrent_activation="softsign", return_sequences=True),
                         L.LSTM(2, activation=None),
                         L.Dense(2)])


def channels_first(K):
    L = K.layers
    x = K.Input((3, 8, 8))
    y = L.Conv2D(4, 3, padding="same", data_format="channels_first", activation="relu")(x)
    y = L.BatchNormalization(axis=1)(y)
    y = L.MaxPooling2D(data_format="channels_first")(y)
    y = L.ZeroPadding2D(((1, 0), (0, 1)), data_format="channels_first")(y)
    y = L.UpSampling2D((2, 1), data_format="channels_first")(y)
    y = L.Cropping2D(((1, 1), (0, 1)), data_format="channels_first")(y)
    y = L.AveragePooling2D(3, strides=1, padding="same", data_format="channels_first")(y)
    pooled = L.GlobalAveragePooling2D(data_format="channels_first")(y)
    flat = L.Flatten(data_format="channels_first")(y)
    return K.Model(x, [pooled, L.Dense(2)(flat)])


def conv_layouts(K):
    L = K.layers
    x = K.Input((8, 8, 3))
    a = L.Conv2D(4, 3, padding="same")(x)
    a = L.PReLU(shared_axes=[1, 2])(a)
    b = L.Conv2D(4, 3, padding="same")(x)
    b = L.Softmax(axis=1)(b)
    c = L.Conv2D(4, 1, activation="softmax")(x)
    y = L.Concatenate()([a, b, L.LeakyReLU(0.1)(c)])
    y = L.Add()([y, L.Conv2D(12, 1)(x)])
    y = L.Cropping2D(((1, 2), (0, 1)))(y)
    y = L.GlobalMaxPooling2D(keepdims=True)(y)
    return K.Model(x, L.Dense(3)(L.Flatten()(y)))


def transposed(K):
    L = K.layers
    return K.Sequential([K.Input((5, 5, 3)),
                         L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
                         L.Conv2DTranspose(2, 2, dilation_rate=2, padding="valid"),
                         L.Conv2DTranspose(2, 2, strides=3, padding="valid"),
                         L.Conv2DTranspose(2, 3, strides=2, padding="valid", output_padding=(1, 0)),
                         L.Flatten(), L.Dense(2)])


def time_distributed_conv(K):
    L = K.layers
    return K.Sequential([K.Input((4, 6, 6, 2)),
                         L.TimeDistributed(L.Conv2D(3, 2, activation="relu")),
                         L.TimeDistributed(L.MaxPooling2D()),
                         L.TimeDistributed(L.Flatten()),
                         L.LSTM(3), L.Dense(2)])


def masked_attention(K):
    L = K.layers
    q_ids, v_ids = K.Input((5,)), K.Input((6,))
    q = L.Embedding(10, 4, mask_zero=True)(q_ids)
    v = L.Embedding(10, 4, mask_zero=True)(v_ids)
    att = L.Attention(use_scale=True, score_mode="concat")([q, v])
    dot = L.Dot(axes=(2, 2), normalize=True)([q, v])
    return K.Model([q_ids, v_ids], [L.Dense(2)(L.GlobalAveragePooling1D()(att)), L.Flatten()(dot)])


def relu_variants(K):
    L = K.layers
    return K.Sequential([K.Input((6,)), L.Dense(12),
                         L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.2),
                         L.ThresholdedReLU(theta=0.3),
                         L.Reshape((3, 4)),
                         L.BatchNormalization(axis=1, epsilon=1e-2),
                         L.LayerNormalization(axis=[1, 2]),
                         L.GlobalMaxPooling1D(keepdims=True), L.Flatten(), L.Dense(2)])


def rnn_cell_forms(K):
    """RNN around each built-in cell: masked (a Scan), backwards inside Bidirectional, with its
    state returned, a stack run backwards under a mask, and unmasked (ONNX's own operators)."""
    L = K.layers
    ids, features = K.Input((7,)), K.Input((5, 3))
    x = L.Embedding(11, 4, mask_zero=True)(ids)
    x = L.RNN(L.GRUCell(3), return_sequences=True)(x)
    x = L.Bidirectional(L.RNN(L.LSTMCell(3), return_sequences=True, go_backwards=True))(x)
    x = L.RNN([L.LSTMCell(3), L.SimpleRNNCell(3)], return_sequences=True, go_backwards=True)(x)
    y, h = L.RNN(L.SimpleRNNCell(2), return_state=True)(x)
    z = L.RNN(L.LSTMCell(4), return_sequences=True)(features)
    z = L.RNN([L.GRUCell(2, reset_after=False), L.LSTMCell(3)], go_backwards=True)(z)
    return K.Model([ids, features], [y, h, z])


def conv_lstm_initial_states(K):
    """ConvLSTM2D from given states, returning its states; a backwards valid one after it."""
    L = K.layers
    x, h, c = K.Input((3, 5, 5, 2)), K.Input((5, 5, 3)), K.Input((5, 5, 3))
    seq, h_last, _ = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, return_state=True,
                                  recurrent_activation="sigmoid")(x, initial_state=[h, c])
    y = L.ConvLSTM2D(2, 2, go_backwards=True, recurrent_activation="sigmoid")(seq)
    return K.Model([x, h, c], [L.Dense(2)(L.Flatten()(y)), h_last])


CASES = [
    Case("masked_recurrent", "recurrent", masked_recurrent, [Input((8,), vocab=12)]),
    Case("bidirectional_modes", "recurrent", bidirectional_modes, [Input((6, 3))]),
    Case("initial_states", "recurrent", initial_states, [Input((5, 3)), Input((4,)), Input((4,)), Input((6,), vocab=9)]),
    Case("recurrent_activations", "recurrent", recurrent_activations, [Input((5, 3))]),
    Case("channels_first", "conv", channels_first, [Input((3, 8, 8))]),
    Case("conv_layouts", "conv", conv_layouts, [Input((8, 8, 3))]),
    Case("transposed", "conv", transposed, [Input((5, 5, 3))]),
    Case("time_distributed_conv", "conv", time_distributed_conv, [Input((4, 6, 6, 2))]),
    Case("masked_attention", "attention", masked_attention, [Input((5,), vocab=10), Input((6,), vocab=10)]),
    Case("relu_variants", "activations", relu_variants, [Input((6,))]),
    Case("rnn_cell_forms", "recurrent", rnn_cell_forms, [Input((7,), vocab=11), Input((5, 3))]),
    # The interop suite's models built outside models.py: TF ops applied to Keras tensors
    # (TFOpLambda, SlicingOpLambda) and the preprocessing layers.
    Case("tf_ops", "tf_ops", lambda K: test_tf_ops.build_model(), [Input((4, 6))]),
    Case("preprocessing", "preprocessing", test_preprocessing.build,
         [Input((7, 9, 3)), Input((3, 4, 2)), Input((4,), vocab=6), Input((1,), vocab=6), Input((5,))]),
    Case("conv_lstm_initial_states", "recurrent", conv_lstm_initial_states,
         [Input((3, 5, 5, 2)), Input((5, 5, 3)), Input((5, 5, 3))]),
]
