"""Differences between ksave and real TensorFlow/Keras that the suite has found and that are not
fixed yet, each with the reason as measured.

Every entry turns the matching tests into expected failures: the test still runs, a listed case
that starts passing fails the run ("XPASS(strict)") until its entry is removed, and a case not
listed here fails as usual. The entries of NUMERIC_NOISE are the exception: differences at the
level of float32 rounding, which another CPU's kernels (oneDNN picks its ISA at run time) may
close, so passing there is reported (XPASS) without failing; so are those of RANDOM_DRAWS. The
README's interop table counts these as open.

Patterns are pytest's test names where `*` matches any run of characters (brackets are plain
characters), e.g. "test_keras_reads_ksave_model[lstm-h5]" or "test_ten_steps_match[nadam_*]".
"""

_KERAS3_CANNOT_READ_TF_KERAS_H5 = (
    "Keras 3.15 refuses tf-keras 2.21's own .h5 of this model the same way (measured: its legacy "
    "HDF5 loader rejects tf-keras's time_major / groups keys, 'keras.metrics.mse' metrics, the "
    "Attention score_mode, nested-model node numbers); ksave writes HDF5 in tf-keras's form")

_KERAS3_CANNOT_READ_ITS_OWN_COMPILED_H5 = (
    "Keras 3.15 refuses its own legacy .h5 of this compiled Keras-3-only model (measured: load_model of "
    "model.save('m.h5') after compile(loss='mse') fails with \"Could not deserialize 'keras.metrics.mse'\"; "
    "uncompiled it loads)")

_TF_KERAS_CANNOT_DESERIALIZE_SPECTRAL_NORMALIZATION = (
    "tf-keras 2.21 cannot build its own SpectralNormalization from a config (measured: load_model of its "
    "own .h5 gives \"Unknown layer: 'SpectralNormalization'\", model_from_json of its own to_json \"The added "
    "layer must be an instance of class Layer\"; its SavedModel loads): the .h5 and the weights files, which "
    "the suite loads into a model built from ksave's JSON, cannot be read by tf-keras whoever wrote them")
KNOWN = {
    "test_tf_keras.py": {
        "test_keras_reads_ksave_model[spectral_normalization-h5]": _TF_KERAS_CANNOT_DESERIALIZE_SPECTRAL_NORMALIZATION,
        "test_keras_reads_ksave_weights[spectral_normalization-*]": _TF_KERAS_CANNOT_DESERIALIZE_SPECTRAL_NORMALIZATION,
        "test_keras_reads_ksave_model[custom-h5]":
            "tf-keras 2.21 cannot load its own .h5 of this model either: it writes a registered custom "
            "activation as {'class_name': 'function', ...} and then refuses that form ('Unknown activation "
            "function: function'); ksave writes the same",
    },
    "test_training_numerics.py": {
        "test_ten_steps_match[legacy_adam_clipnorm]":
            "float32 rounding of one gradient element, not the clipping (measured step by step): the first "
            "Dense's bias gradient element 2 is a sum of 8 per-row terms up to 0.06 that cancel to -2.0185e-5 "
            "(float64: -2.01854731e-05). ksave computes -2.01677904e-05 (SGD(1.0) step from the same start), "
            "tf-keras's traced train step -2.0185485e-05, and TensorFlow's own eager GradientTape of the same "
            "model -2.0181760e-05: TF's two paths differ by 1.8e-4 relative, one float32 ulp of a term; ksave "
            "is 2.4 ulps of the largest term off. clip_by_norm(0.05) then scales the bias gradient by 0.2535 "
            "(ksave's clipped value, read back from its Adam step, is its raw gradient times that factor to "
            "1e-5) to 5.1e-6, where Adam's epsilon 1e-7 makes the step proportional to g, not sign(g): the "
            "8.8e-4 relative gradient "
            "difference becomes 3.3e-4 (2.1e-6 absolute) in the weight. Matching it needs TensorFlow's exact "
            "kernel order (oneDNN MatMul, Eigen tanh, BiasAddGrad's reduction)",
    },
    "test_keras3.py": {
        **{f"test_keras3_reads_ksave_model[{case}-h5]": _KERAS3_CANNOT_READ_TF_KERAS_H5 for case in (
            "activations", "attention", "conv1d", "conv2d", "conv2d_groups", "conv_variants", "custom", "gru",
            "lstm", "multi_io", "nested", "normalization", "reshaping", "simple_rnn", "stateful_lstm",
            # measured on tf-keras's own .h5 of the issue-16 cases: Keras 3 refuses groups on
            # DepthwiseConv1D/Conv3DTranspose, trainable/noise_shape on SpatialDropout1D, LSTM's
            # time_major, 'keras.metrics.mse'
            "conv_variants_1d", "conv3d", "group_unit_normalization", "regularization_layers", "masking",
            # RNN's time_major (measured on tf-keras's own .h5 of RNN([LSTMCell, GRUCell]))
            "rnn_cells",
            # measured: Keras 3 builds tf-keras's MultiHeadAttention from build_config's one shape,
            # its build() wants query_shape and value_shape
            "transformer_block", "attention_options",
            # measured: 'keras.metrics.mse' (and Keras 3.15 cannot read its own .h5 of a two-axis
            # RMSNormalization either)
            "rms_normalization",
            # ConvLSTM's time_major (measured on tf-keras's own .h5 of the four cases)
            "conv_lstm1d", "conv_lstm2d", "conv_lstm3d", "conv_lstm_bidirectional",
            # measured: 'keras.metrics.mse' (adaptive pooling is Keras 3's own; tf-keras's own .h5
            # of the SpectralNormalization case is refused for the metric too)
            "adaptive_pooling", "spectral_normalization",
            # measured: Keras 3.15's own .h5 of the compiled Pipeline case fails on 'keras.metrics.mse'
            # (uncompiled it loads); ksave's adds its LSTM's time_major
            "pipeline")},
        "test_keras3_reads_ksave_model[keras3_ops-h5]":
            "Keras 3.15 has no TFOpLambda (measured: its legacy HDF5 loader raises \"Unknown layer: "
            "'TFOpLambda'\"): ksave's .h5 holds tf-keras's form of the keras.ops calls, which tf-keras 2.21 "
            "loads and predicts alike (test_keras3_ops.py); Keras 3 reads them from ksave's .keras",
        "test_keras3_reads_ksave_model[group_query_attention-h5]": _KERAS3_CANNOT_READ_ITS_OWN_COMPILED_H5 + (
            "; of GroupQueryAttention it also calls ksave's tf-keras node form (value by keyword) without the "
            "value (\"missing a required argument: 'value'\"), as MultiHeadAttention's above"),
        "test_keras3_reads_ksave_model[reversible_embedding-h5]": _KERAS3_CANNOT_READ_ITS_OWN_COMPILED_H5,
        "test_keras3_reads_ksave_model[stft_spectrogram-h5]": _KERAS3_CANNOT_READ_ITS_OWN_COMPILED_H5,
        "test_ksave_serves_export[stft_spectrogram]":
            "Keras 3's export runs the channels_first STFTSpectrogram's convolution as an NCHW Conv2D, which "
            "ksave's graph runtime does not run (measured: \"Conv2D: only data_format NHWC is supported\"); "
            "ksave's own layer computes channels_first",
        "test_keras3_reads_ksave_model[mel_spectrogram-h5]": _KERAS3_CANNOT_READ_ITS_OWN_COMPILED_H5,
        "test_ksave_serves_export[mel_spectrogram]":
            "Keras 3's export computes MelSpectrogram with TensorFlow's FFT graph (MirrorPad, the window's Cos, "
            "frame SplitV, RFFT, Real/Imag, linspace's BroadcastTo), ops ksave's graph runtime does not run "
            "(measured); ksave's own layer computes it",
    },
    "test_applications.py": {
        "test_ksave_fine_tunes_the_head_as_keras[EfficientNetV2B0-keras3]":
            "Keras 3's Functional passes fit's training=True into the frozen base (it overrides the recorded "
            "training=False), so the base's stochastic-depth Dropout layers drop with TensorFlow's random "
            "draws, ksave's with its own (its frozen BatchNormalization now stays in inference mode as Keras "
            "3's: first loss 1.152 -> 0.69346). Measured: the second loss 0.692803 in ksave, 0.692906 in Keras "
            "(1.5e-4 relative, tolerance 1e-4); in Keras alone the dropout moves the first loss by 2.2e-4 "
            "relative (0.693268 with it, 0.693420 without)",
    },
}


# Entries whose size is float32 rounding amplified by the optimizer (see their reasons).
NUMERIC_NOISE = {
    "test_ten_steps_match[legacy_adam_clipnorm]",
}


# Entries whose size is random draws that ksave cannot make as TensorFlow makes them (see their
# reasons): a run may fall within the tolerance, so passing there is reported without failing.
RANDOM_DRAWS = {
    "test_ksave_fine_tunes_the_head_as_keras[EfficientNetV2B0-keras3]",
}


def _matches(pattern, name):
    import re
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


def reason_for(file_name, test_name):
    """(reason, strict) of the entry matching the test, or None."""
    for pattern, reason in KNOWN.get(file_name, {}).items():
        if _matches(pattern, test_name):
            return reason, pattern not in NUMERIC_NOISE and pattern not in RANDOM_DRAWS
    return None
