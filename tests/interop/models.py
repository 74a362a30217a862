"""The interop suite's model matrix: one builder per case, written once against the Keras API
(`K` is `tf_keras` or Keras 3's `keras`), so the same architecture is built by both.

Each case names the inputs it takes (float features or integer ids), how its targets look, the
loss and metrics it compiles with, and whether it trains deterministically (no Dropout: TF's and
ksave's random streams differ, so a training comparison would be meaningless).
"""
import os
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Input:
    shape: tuple            # without the batch dimension
    vocab: int = 0          # > 0: integer ids in [0, vocab) (with zeros for masking)
    masked_steps: bool = False  # float features with some all-zero steps (for Masking)
    mask: bool = False          # a boolean attention mask (each query step sees at least one key)


@dataclass
class Case:
    name: str
    family: str
    build: Callable         # build(K) -> uncompiled model
    inputs: list
    loss: object = "mse"
    metrics: list = field(default_factory=list)
    optimizer: Optional[Callable] = None   # optimizer(K) -> optimizer object; None: SGD(0.05)
    trains: bool = True                    # training steps are compared
    keras3: bool = True                    # Keras 3 builds it too
    tf_keras: bool = True
    subclassed: bool = False               # no config: only the SavedModel and weights formats
    batch_size: Optional[int] = None       # fixed batch (stateful RNNs)
    # tf-keras 2.21 builds it only with TF_USE_LEGACY_KERAS=1 (its SpectralNormalization reads
    # tf.keras.layers.InputSpec, Keras 3's otherwise): test_tf_keras.py runs these in a CTest
    # test of their own with that setting.
    needs_legacy_keras: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6


def seq(K, inputs, layers, name=None):
    """Sequential with an explicit Input, the form both Keras generations accept."""
    return K.Sequential([K.Input(inputs)] + layers, name=name)


# ---------------------------------------------------------------- dense and activations


def mlp(K):
    L = K.layers
    return seq(K, (12,), [
        L.Dense(16, activation="relu", kernel_regularizer=K.regularizers.l2(1e-3)),
        L.Dense(8, activation="tanh", use_bias=False, kernel_constraint=K.constraints.MaxNorm(2.0)),
        L.Dense(3, activation="softmax", bias_initializer="ones"),
    ])


def activations(K):
    L = K.layers
    return seq(K, (10,), [
        L.Dense(12), L.LeakyReLU(0.2), L.Dense(12), L.ELU(0.5), L.Dense(12), L.ReLU(max_value=0.6, threshold=0.05),
        L.Dense(12, activation="selu"), L.Dense(12, activation="elu"), L.Dense(12, activation="softplus"),
        L.Dense(12, activation="swish"), L.Dense(12, activation="hard_sigmoid"), L.PReLU(),
        L.Dense(12, activation="gelu"), L.Dense(5), L.Softmax(),
    ])


# ---------------------------------------------------------------- convolutions


def conv2d(K):
    L = K.layers
    return seq(K, (12, 12, 3), [
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
        L.Conv2D(4, (2, 3), dilation_rate=(2, 1), padding="valid", use_bias=False),
        L.BatchNormalization(momentum=0.9, epsilon=1e-2),
        L.MaxPooling2D(2, strides=1, padding="same"),
        L.AveragePooling2D((2, 1)),
        L.Flatten(),
        L.Dense(4),
    ])


def conv2d_groups(K):
    L = K.layers
    return seq(K, (8, 8, 4), [
        L.Conv2D(6, 3, groups=2, padding="same", activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(2),
    ])


def conv1d(K):
    L = K.layers
    return seq(K, (16, 3), [
        L.Conv1D(5, 3, padding="causal", dilation_rate=2, activation="relu"),
        L.Conv1D(4, 2, strides=2, padding="same"),
        L.MaxPooling1D(2),
        L.AveragePooling1D(2, padding="same"),
        L.GlobalMaxPooling1D(),
        L.Dense(3),
    ])


def conv_variants(K):
    L = K.layers
    return seq(K, (10, 10, 3), [
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
        L.SeparableConv2D(5, 3, strides=2, depth_multiplier=1, padding="valid"),
        L.Conv2DTranspose(4, 3, strides=2, padding="same"),
        L.Conv2DTranspose(3, 2, strides=1, padding="valid", use_bias=False),
        L.GlobalMaxPooling2D(),
        L.Dense(2),
    ])


def conv_variants_1d(K):
    L = K.layers
    return seq(K, (12, 3), [
        L.DepthwiseConv1D(3, depth_multiplier=2, padding="same", activation="relu"),
        L.SeparableConv1D(5, 3, strides=2, depth_multiplier=2, padding="valid"),
        L.Conv1DTranspose(4, 3, strides=2, padding="same"),
        L.Conv1D(4, 2, groups=2, activation="tanh"),
        L.Conv1DTranspose(3, 2, strides=2, output_padding=1, use_bias=False),
        L.GlobalMaxPooling1D(),
        L.Dense(2),
    ])


def conv3d(K):
    L = K.layers
    x = K.Input((4, 6, 5, 2))
    y = L.Conv3D(4, 2, strides=(1, 2, 1), padding="same", activation="relu")(x)
    y = L.ZeroPadding3D(((1, 0), (0, 1), (1, 1)))(y)
    y = L.Conv3D(3, (2, 3, 2), dilation_rate=(2, 1, 1))(y)
    y = L.MaxPooling3D(2, strides=1, padding="same")(y)
    y = L.AveragePooling3D((2, 1, 2), padding="same")(y)
    y = L.UpSampling3D((1, 2, 1))(y)
    y = L.Cropping3D(((0, 1), (1, 0), (0, 1)))(y)
    y = L.Conv3DTranspose(3, 2, strides=(2, 1, 2), padding="same", activation="tanh")(y)
    pooled = L.Concatenate()([L.GlobalMaxPooling3D()(y), L.GlobalAveragePooling3D()(y)])
    return K.Model(x, L.Dense(2)(pooled))


def reshaping(K):
    L = K.layers
    return seq(K, (6, 6, 2), [
        L.ZeroPadding2D(((1, 0), (0, 2))),
        L.Cropping2D(((0, 1), (1, 1))),
        L.UpSampling2D((1, 2)),
        L.Permute((2, 1, 3)),
        L.Reshape((-1, 6)),
        L.Conv1D(3, 1),
        L.ZeroPadding1D(1), L.Cropping1D((0, 2)), L.UpSampling1D(2),
        L.GlobalAveragePooling1D(),
        L.RepeatVector(2), L.Flatten(), L.Dense(3),
    ])


# ---------------------------------------------------------------- normalization


def normalization(K):
    L = K.layers
    # relu before BatchNormalization: a shift that BatchNormalization's batch mean removes would
    # give the layers before it a zero gradient, whose float noise Adam then amplifies.
    return seq(K, (5, 6), [
        L.LayerNormalization(epsilon=1e-3),
        L.Dense(8, activation="relu"),
        L.BatchNormalization(center=False, momentum=0.8),
        L.LayerNormalization(axis=-1, scale=False),
        L.Flatten(),
        L.Dense(2),
    ])


def group_unit_normalization(K):
    L = K.layers
    return seq(K, (6, 8), [
        L.GroupNormalization(4, epsilon=1e-2),
        L.Dense(6, activation="tanh"),
        L.GroupNormalization(2, axis=1, center=False),
        L.UnitNormalization(axis=[1, 2]),
        L.Identity(),
        L.Flatten(),
        L.Dense(2),
    ])


def regularization_layers(K):
    """The noise layers are the identity at inference; their training draws differ from TF's."""
    L = K.layers
    return seq(K, (5, 4), [
        L.GaussianNoise(0.3),
        L.SpatialDropout1D(0.3),
        L.Dense(6, activation="selu"),
        L.GaussianDropout(0.2),
        L.AlphaDropout(0.2),
        L.ActivityRegularization(l1=1e-3, l2=1e-2),
        L.Flatten(),
        L.Dense(2),
    ])


# ---------------------------------------------------------------- recurrent


def lstm(K):
    L = K.layers
    return seq(K, (7,), [
        L.Embedding(20, 6, mask_zero=True),
        L.LSTM(8, return_sequences=True, recurrent_activation="sigmoid"),
        L.LSTM(5, go_backwards=True, unit_forget_bias=False),
        L.Dense(2),
    ])


def gru(K):
    L = K.layers
    x = K.Input((6, 4))
    seq_out, state = L.GRU(5, return_sequences=True, return_state=True, reset_after=True)(x)
    last = L.GRU(4, reset_after=False, go_backwards=True)(seq_out)
    out = L.Dense(2)(L.Concatenate()([last, state]))
    return K.Model(x, out)


def simple_rnn(K):
    L = K.layers
    return seq(K, (5, 3), [
        L.SimpleRNN(6, return_sequences=True, activation="relu"),
        L.TimeDistributed(L.Dense(4)),
        L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="concat"),
        L.Bidirectional(L.GRU(3), merge_mode="sum"),
        L.Dense(2),
    ])


def stateful_lstm(K):
    L = K.layers
    return K.Sequential([K.Input((4, 3), batch_size=4), L.LSTM(5, stateful=True), L.Dense(2)])


def masking(K):
    """Sequential: Keras 3 writes a functional model's mask as NotEqual/Any operation nodes."""
    L = K.layers
    return seq(K, (6, 3), [
        L.Masking(0.0),
        L.LSTM(4, return_sequences=True),
        L.GRU(3, go_backwards=True, return_sequences=True),
        L.SimpleRNN(2),
        L.Dense(2),
    ])


def rnn_cells(K):
    """RNN around cells: a stack (StackedRNNCells), one inside Bidirectional, one backwards,
    all behind a mask."""
    L = K.layers
    return seq(K, (6, 3), [
        L.Masking(0.0),
        L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_sequences=True),
        L.Bidirectional(L.RNN(L.SimpleRNNCell(3, activation="relu"), return_sequences=True)),
        L.RNN(L.GRUCell(2, reset_after=False), go_backwards=True),
        L.Dense(2),
    ])


def conv_lstm2d(K):
    """ConvLSTM2D over a sequence of images: same padding with sequences, then strides and
    go_backwards; explicit recurrent_activation, whose default differs between the generations."""
    L = K.layers
    return seq(K, (4, 6, 6, 2), [
        L.ConvLSTM2D(4, 3, padding="same", return_sequences=True, recurrent_activation="sigmoid"),
        L.ConvLSTM2D(3, 2, strides=2, go_backwards=True, recurrent_activation="hard_sigmoid"),
        L.GlobalAveragePooling2D(),
        L.Dense(2),
    ])


def conv_lstm1d(K):
    """ConvLSTM1D dilated with same padding, then valid with its states returned (functional)."""
    L = K.layers
    x = K.Input((5, 8, 3))
    y = L.ConvLSTM1D(4, 3, dilation_rate=2, padding="same", return_sequences=True,
                     recurrent_activation="sigmoid")(x)
    out, h, c = L.ConvLSTM1D(3, 2, return_state=True, unit_forget_bias=False,
                             recurrent_activation="sigmoid")(y)
    pooled = L.Concatenate()([L.Flatten()(out), L.Flatten()(c)])
    return K.Model(x, L.Dense(2)(pooled))


def conv_lstm3d(K):
    L = K.layers
    return seq(K, (3, 4, 4, 3, 2), [
        L.ConvLSTM3D(3, 2, padding="same", recurrent_activation="sigmoid", activation="relu"),
        L.GlobalMaxPooling3D(),
        L.Dense(2),
    ])


def conv_lstm_bidirectional(K):
    """Bidirectional around ConvLSTM1D (concat; sum with sequences), TimeDistributed after it."""
    L = K.layers
    return seq(K, (4, 6, 2), [
        L.Bidirectional(L.ConvLSTM1D(3, 2, padding="same", return_sequences=True, recurrent_activation="sigmoid"),
                        merge_mode="sum"),
        L.TimeDistributed(L.Flatten()),
        L.Bidirectional(L.LSTM(2)),
        L.Dense(2),
    ])


# ---------------------------------------------------------------- functional graphs


def multi_io(K):
    L = K.layers
    a = K.Input((6,), name="left")
    b = K.Input((6,), name="right")
    shared = L.Dense(5, activation="tanh", name="shared")
    sa, sb = shared(a), shared(b)
    merged = [L.Add()([sa, sb]), L.Subtract()([sa, sb]), L.Multiply()([sa, sb]), L.Average()([sa, sb]),
              L.Maximum()([sa, sb]), L.Minimum()([sa, sb])]
    cat = L.Concatenate(name="cat")(merged)
    dot = L.Dot(axes=1, normalize=True)([sa, sb])
    out1 = L.Dense(3, name="zeta")(cat)
    out2 = L.Dense(1, name="alpha")(L.Concatenate()([cat, dot]))
    return K.Model([a, b], [out1, out2])


def nested(K):
    L = K.layers
    inner = K.Sequential([K.Input((6,)), L.Dense(5, activation="relu"), L.Dense(4)], name="inner")
    x = K.Input((6,))
    y = inner(x)
    z = inner(L.Dense(6, activation="tanh")(x))  # the same nested model called twice (node 2)
    out = L.Dense(2)(L.Concatenate()([y, z]))
    return K.Model(x, out)


def attention(K):
    L = K.layers
    q = K.Input((4, 6))
    v = K.Input((5, 6))
    att = L.Attention(use_scale=True)([q, v])
    return K.Model([q, v], L.Dense(2)(L.GlobalAveragePooling1D()(att)))


def transformer_block(K):
    """The Keras guide's encoder block: self-attention, residual Add, LayerNormalization, a
    two-layer feed-forward part, again Add and LayerNormalization."""
    L = K.layers
    x = K.Input((6, 8))
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4, name="self_attention")(x, x)
    x1 = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, attended]))
    ff = L.Dense(8)(L.Dense(16, activation="relu")(x1))
    x2 = L.LayerNormalization(epsilon=1e-6)(L.Add()([x1, ff]))
    return K.Model(x, L.Dense(3)(L.GlobalAveragePooling1D()(x2)))


def attention_options(K):
    """MultiHeadAttention with a separate key, value_dim, output_shape, an attention_mask input
    and the causal mask; AdditiveAttention beside it. No biases before or in the key projections:
    a bias there shifts every key alike, which softmax ignores, so its true gradient is zero and
    adaptive optimizers blow float32 noise up into steps of learning-rate size (transformer_block
    keeps MultiHeadAttention's biases)."""
    L = K.layers
    q = K.Input((4, 6))
    v = K.Input((5, 7))
    mask = K.Input((4, 5), dtype="bool")
    k = L.Dense(3, use_bias=False)(v)
    cross = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=3, output_shape=5, use_bias=False,
                                 name="cross_attention")(q, v, key=k, attention_mask=mask)
    causal = L.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False, name="causal_attention")(
        q, q, use_causal_mask=True)
    additive = L.AdditiveAttention(name="additive")([q, L.Dense(6)(v)])
    joined = L.Concatenate()([cross, causal, additive])
    return K.Model([q, v, mask], L.Dense(2)(L.Flatten()(joined)))


def einsum_dense(K):
    """EinsumDense in each form Keras's equation analysis takes: a projection to heads and their
    merge (MultiHeadAttention's), the leading ellipsis, the plain matmul. (The ellipsis ending the
    equation, "ab...,bc->ac...", is in the plugin's suite: Keras 3.15 cannot build it here, it
    makes the kernel (None, 3).)"""
    L = K.layers
    return seq(K, (5, 6), [
        L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", activation="tanh"),
        L.EinsumDense("abcd,cde->abe", output_shape=(None, 4), bias_axes="e"),
        L.EinsumDense("...b,bc->...c", output_shape=6, bias_axes="c", activation="relu"),
        L.Flatten(),
        L.EinsumDense("ab,bc->ac", output_shape=2),
    ])


def group_query_attention(K):
    """Keras 3's GroupQueryAttention: key/value heads shared by groups of query heads (2 of 4, 1
    of 3), the causal mask with the gate and the sliding window band, a separate key. No biases,
    for MultiHeadAttention's reason (attention_options)."""
    L = K.layers
    q = K.Input((5, 6))
    v = K.Input((7, 6))
    grouped = L.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, use_bias=False,
                                    use_gate=True, sliding_window=2, name="grouped_self")(q, q, use_causal_mask=True)
    single = L.GroupQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=1, use_bias=False,
                                   name="single_kv")(q, v, key=L.Dense(6, use_bias=False)(v))
    joined = L.Concatenate()([grouped, single])
    return K.Model([q, v], L.Dense(2)(L.Flatten()(joined)))


def reversible_embedding(K):
    """Keras 3's ReversibleEmbedding called forwards on ids and back (reverse=True) to logits: tied
    to its embeddings (mask_zero), and with its own reverse_embeddings and logit_soft_cap."""
    L = K.layers
    ids = K.Input((6,), dtype="int32")
    tied = L.ReversibleEmbedding(20, 8, mask_zero=True, name="tied")
    untied = L.ReversibleEmbedding(20, 8, tie_weights=False, logit_soft_cap=3.0, name="untied")
    a = tied(L.Dense(8, activation="tanh")(tied(ids)), reverse=True)
    b = untied(L.Dense(8)(untied(ids)), reverse=True)
    return K.Model(ids, L.Add()([a, b]))


def pipeline(K):
    """Keras 3's Pipeline: image preprocessing (MaxNumBoundingBoxes on images: the images as they
    are; bilinear and nearest Resizing, whose export ksave serves with its ResizeBilinear and
    ResizeNearestNeighbor ops) and a convolution in one pipeline, a pipeline in a pipeline, and an
    Embedding(mask_zero) whose mask goes through the pipeline's Dense to the LSTM."""
    L = K.layers
    image = K.Input((8, 8, 3))
    ids = K.Input((6,), dtype="int32")
    x = L.Pipeline([L.MaxNumBoundingBoxes(4), L.Rescaling(0.5, offset=1.0), L.Resizing(11, 7),
                    L.Resizing(7, 9, interpolation="nearest"), L.CenterCrop(6, 5), L.Conv2D(3, 3)],
                   name="prep")(image)
    x = L.Pipeline([L.Flatten(), L.Pipeline([L.Dense(4, activation="tanh")])], name="head")(x)
    y = L.LSTM(3)(L.Pipeline([L.Embedding(12, 4, mask_zero=True), L.Dense(4)], name="embed")(ids))
    return K.Model([image, ids], L.Concatenate()([x, y]))


def locally_connected(K):
    """tf-keras's LocallyConnected2D and LocallyConnected1D in each kernel layout (implementation
    1, 2, 3), valid and same padding, strides."""
    L = K.layers
    x = K.Input((7, 6, 3))
    a = L.LocallyConnected2D(4, (3, 2), strides=(2, 1), activation="tanh", implementation=1)(x)
    b = L.LocallyConnected2D(3, 2, padding="same", implementation=2)(x)
    c = L.LocallyConnected2D(2, (2, 3), strides=2, padding="same", implementation=3, use_bias=False)(x)
    steps = L.Reshape((7, 18))(x)
    d = L.LocallyConnected1D(3, 3, strides=2, implementation=1, activation="relu")(steps)
    e = L.LocallyConnected1D(2, 2, padding="same", implementation=2)(steps)
    f = L.LocallyConnected1D(2, 3, strides=2, padding="same", implementation=3)(steps)
    joined = L.Concatenate()([L.Flatten()(t) for t in (a, b, c, d, e, f)])
    return K.Model(x, L.Dense(2)(joined))


def stft_spectrogram(K):
    """Keras 3's STFTSpectrogram in several modes, scalings, paddings and layouts (its real_kernel
    and imag_kernel are trainable weights). window=None throughout: Keras builds its named windows
    with SciPy, which the suite's environment does not have."""
    L = K.layers
    x = K.Input((48, 2))
    a = L.STFTSpectrogram(mode="log", frame_length=16, frame_step=8, window=None)(x)
    b = L.STFTSpectrogram(mode="psd", frame_length=12, frame_step=4, fft_length=16, window=None, scaling="spectrum",
                          padding="same", expand_dims=True)(x)
    c = L.STFTSpectrogram(mode="stft", frame_length=8, window=None, scaling=None,
                          data_format="channels_first")(L.Permute((2, 1))(x))
    d = L.STFTSpectrogram(mode="magnitude", frame_length=10, frame_step=5, window=None)(x)
    joined = L.Concatenate()([L.Flatten()(t) for t in (a, b, c, d)])
    return K.Model(x, L.Dense(2)(joined))


def mel_spectrogram(K):
    """Keras 3's MelSpectrogram (no weights): Hann, Hamming inside a longer FFT and no window;
    decibels floored by top_db (at the whole batch's maximum, as Keras floors them), mag_exp 1
    with a reference power, and the mel power itself. 100 samples: Keras's compute_output_shape
    ((n + stride + 1) // stride) agrees with the frames it computes (1 + n // stride) only when the
    stride does not divide n + 1."""
    L = K.layers
    x = K.Input((100,))
    a = L.MelSpectrogram(fft_length=16, sequence_stride=8, sampling_rate=8000, num_mel_bins=6, min_freq=100.0,
                         top_db=10.0)(x)
    b = L.MelSpectrogram(fft_length=20, sequence_length=15, sequence_stride=6, window="hamming", sampling_rate=4000,
                         num_mel_bins=4, max_freq=1800.0, mag_exp=1.0, ref_power=2.0, min_power=1e-4)(x)
    c = L.MelSpectrogram(fft_length=12, sequence_stride=5, window=None, sampling_rate=1000, num_mel_bins=3,
                         power_to_db=False)(x)
    joined = L.Concatenate()([L.Flatten()(t) for t in (a, b, c)])
    return K.Model(x, L.Dense(2)(L.Rescaling(0.02)(joined)))


def rms_normalization(K):
    """Keras 3's RMSNormalization (over two axes in the plugin's suite: Keras 3.15 cannot read its
    own .h5 of that, it expects the scale of the last axis alone)."""
    L = K.layers
    return seq(K, (5, 6), [
        L.RMSNormalization(),
        L.Dense(8, activation="relu"),
        L.RMSNormalization(axis=-1, epsilon=1e-3),
        L.Flatten(),
        L.Dense(2),
    ])


def adaptive_pooling(K):
    """Keras 3's adaptive pooling (PyTorch's windows), shrinking and growing axes, 1-D to 3-D."""
    L = K.layers
    return seq(K, (9, 7, 3), [
        L.Conv2D(4, 3, activation="tanh"),
        L.AdaptiveMaxPooling2D((4, 3)),
        L.AdaptiveAveragePooling2D((5, 2)),
        L.Reshape((5, 2, 2, 2)),
        L.AdaptiveAveragePooling3D((3, 3, 2)),
        L.AdaptiveMaxPooling3D((2, 2, 2)),
        L.Reshape((8, 2)),
        L.AdaptiveMaxPooling1D(3),
        L.AdaptiveAveragePooling1D(5),
        L.Flatten(),
        L.Dense(2),
    ])


def spectral_normalization(K):
    """SpectralNormalization around a convolution and a Dense layer: each training step divides
    the kernels by their power-iteration estimate of the largest singular value first."""
    L = K.layers
    return seq(K, (6, 6, 2), [
        L.SpectralNormalization(L.Conv2D(3, 3, activation="relu")),
        L.Flatten(),
        L.SpectralNormalization(L.Dense(4, activation="tanh"), power_iterations=2),
        L.Dense(2),
    ])


# ---------------------------------------------------------------- subclassed (SavedModel and weights only)


def subclassed(K):
    L = K.layers

    class TwoTower(K.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(7, activation="relu")
            self.out = L.Dense(3)

        def call(self, x):
            return self.out(self.hidden(x))

    model = TwoTower()
    model(K.ops.zeros((1, 5)) if hasattr(K, "ops") else __import__("tensorflow").zeros((1, 5)))
    return model


def custom(K):
    import custom_objects
    ScaledDense, scaled_tanh = custom_objects.define(K)
    L = K.layers
    return seq(K, (6,), [ScaledDense(5, scale=0.5), L.Dense(4, activation=scaled_tanh), ScaledDense(2, scale=2.0)])


# ---------------------------------------------------------------- keras.ops in functional models


def keras3_ops(K):
    """Functional: keras.ops calls between Dense layers, which Keras 3 records as operation nodes
    (Relu6, Gelu, Matmul, Transpose, Where, Greater, Exp, Softmax, Mean, GetItem, Reshape,
    Concatenate, Clip, Power); gradients flow through every one but the comparison. One slice
    steps backwards and by two, so serving Keras 3's export() runs a strided StridedSlice."""
    ops, L = K.ops, K.layers
    x = K.Input((4, 6))
    h = L.Dense(6)(x)
    a = ops.relu6(h * 2.0)
    scores = ops.softmax(ops.matmul(a, ops.transpose(ops.gelu(h), (0, 2, 1))) / 4.0, axis=-1)
    smooth = ops.where(ops.greater(h, 0.0), h, ops.exp(h) - 1.0)
    joined = ops.concatenate([ops.mean(smooth, axis=1), ops.reshape(scores, (-1, 16)),
                              ops.clip(ops.power(h[:, 1:3, 1:4], 2.0), 0.0, 1.5)[..., 0],
                              ops.reshape(h[:, ::-2, 1::2], (-1, 6))], axis=-1)
    return K.Model(x, L.Dense(3)(joined))


CASES = [
    Case("mlp", "dense", mlp, [Input((12,))], loss="categorical_crossentropy", metrics=["accuracy"]),
    Case("activations", "activations", activations, [Input((10,))]),
    Case("conv2d", "conv", conv2d, [Input((12, 12, 3))]),
    Case("conv2d_groups", "conv", conv2d_groups, [Input((8, 8, 4))]),
    Case("conv1d", "conv", conv1d, [Input((16, 3))]),
    Case("conv_variants", "conv", conv_variants, [Input((10, 10, 3))]),
    Case("reshaping", "reshaping", reshaping, [Input((6, 6, 2))]),
    Case("normalization", "normalization", normalization, [Input((5, 6))]),
    Case("lstm", "recurrent", lstm, [Input((7,), vocab=20)]),
    Case("gru", "recurrent", gru, [Input((6, 4))]),
    Case("simple_rnn", "recurrent", simple_rnn, [Input((5, 3))]),
    Case("stateful_lstm", "recurrent", stateful_lstm, [Input((4, 3))], batch_size=4, trains=False),
    Case("multi_io", "functional", multi_io, [Input((6,)), Input((6,))], loss=["mse", "mae"]),
    Case("nested", "functional", nested, [Input((6,))]),
    Case("attention", "attention", attention, [Input((4, 6)), Input((5, 6))]),
    Case("subclassed", "subclassed", subclassed, [Input((5,))], subclassed=True),
    Case("custom", "custom objects", custom, [Input((6,))]),
    # Issue 16's layer families (appended: each case's seeds and optimizer follow its index).
    Case("conv_variants_1d", "conv", conv_variants_1d, [Input((12, 3))]),
    Case("conv3d", "conv", conv3d, [Input((4, 6, 5, 2))]),
    Case("group_unit_normalization", "normalization", group_unit_normalization, [Input((6, 8))]),
    Case("regularization_layers", "regularization", regularization_layers, [Input((5, 4))], trains=False),
    Case("masking", "recurrent", masking, [Input((6, 3), masked_steps=True)]),
    Case("transformer_block", "attention", transformer_block, [Input((6, 8))]),
    Case("attention_options", "attention", attention_options, [Input((4, 6)), Input((5, 7)), Input((4, 5), mask=True)]),
    Case("rnn_cells", "recurrent", rnn_cells, [Input((6, 3), masked_steps=True)]),
    # keras3=False: Keras 3.15 cannot build this Sequential itself (measured: the last kernel comes
    # out (None, 2), an unknown axis after its "...b,bc->...c"); to be narrowed down.
    Case("einsum_dense", "einsum", einsum_dense, [Input((5, 6))], keras3=False),
    Case("rms_normalization", "normalization", rms_normalization, [Input((5, 6))], tf_keras=False),
    Case("conv_lstm2d", "recurrent", conv_lstm2d, [Input((4, 6, 6, 2))]),
    Case("conv_lstm1d", "recurrent", conv_lstm1d, [Input((5, 8, 3))]),
    Case("conv_lstm3d", "recurrent", conv_lstm3d, [Input((3, 4, 4, 3, 2))]),
    Case("conv_lstm_bidirectional", "recurrent", conv_lstm_bidirectional, [Input((4, 6, 2))]),
    Case("adaptive_pooling", "pooling", adaptive_pooling, [Input((9, 7, 3))], tf_keras=False),
    Case("spectral_normalization", "normalization", spectral_normalization, [Input((6, 6, 2))],
         needs_legacy_keras=True),
    Case("keras3_ops", "keras.ops", keras3_ops, [Input((4, 6))], tf_keras=False),
    Case("group_query_attention", "attention", group_query_attention, [Input((5, 6)), Input((7, 6))], tf_keras=False),
    Case("reversible_embedding", "embedding", reversible_embedding, [Input((6,), vocab=20)], tf_keras=False),
    Case("pipeline", "preprocessing", pipeline, [Input((8, 8, 3)), Input((6,), vocab=12)], tf_keras=False),
    Case("locally_connected", "conv", locally_connected, [Input((7, 6, 3))], keras3=False),
    # rtol 1e-4: the psd mode's powers reach 1e2, and the Dense after them sums float32 products
    # of that size (ONNX Runtime's convolution order differs from ksave's by 2.8e-5 relative, measured).
    Case("stft_spectrogram", "preprocessing", stft_spectrogram, [Input((48, 2))], tf_keras=False, rtol=1e-4),
    Case("mel_spectrogram", "preprocessing", mel_spectrogram, [Input((100,))], tf_keras=False, rtol=1e-4, atol=1e-4),
]


def shard(cases):
    """The cases of this CTest shard: KSAVE_INTEROP_SHARD="i/n" takes every n-th case from i."""
    spec = os.environ.get("KSAVE_INTEROP_SHARD", "")
    if not spec:
        return cases
    i, n = (int(v) for v in spec.split("/"))
    return cases[i::n]
