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

KNOWN = {
    "test_tf_keras.py": {
        "test_keras_reads_ksave_model[rnn_cells-savedmodel]":
            "measured after the merge that traces masks as ops (ksave's folder is now served by TF): tf-keras "
            "2.21 revives RNN(StackedRNNCells) from it with its 6 cell variables unbound ('Found 6 Python "
            "objects that were not bound to checkpointed values'): the stacked cells' object-graph children "
            "are not where tf-keras's revived cells look for them",
        "test_to_json_equals_keras[custom]":
            "tf-keras writes a custom class's Python module ('custom_objects'); a C++ plugin has none, "
            "ksave writes null (Keras finds the class by registered_name either way)",
        "test_keras_reads_ksave_model[custom-h5]":
            "tf-keras 2.21 cannot load its own .h5 of this model either: it writes a registered custom "
            "activation as {'class_name': 'function', ...} and then refuses that form ('Unknown activation "
            "function: function'); ksave writes the same",
    },
    "test_training_numerics.py": {
        "test_ten_steps_match[legacy_adam_clipnorm]":
            "one bias element of 8 differs by 1.5e-6 absolute (2.5e-4 relative) after step 0: a near-zero "
            "clipped gradient that Adam's epsilon amplifies; not yet explained",
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
            "transformer_block", "attention_options")},
        "test_ksave_reads_weights_file[activations]":
            "Keras 3's to_json names hard_sigmoid (relu6(x + 3) / 6) as tf-keras named 0.2 x + 0.5; ksave's "
            "JSON reader keeps tf-keras's meaning (the .keras reader knows the archive is Keras 3's)",
        "test_ksave_reads_archive[conv2d]":
            "Keras 3's centered RMSprop: one 4-element weight differs by 2.5e-4 relative after one resumed step",
        "test_keras3_reads_ksave_model[conv2d-keras]":
            "Keras 3's centered RMSprop: one 4-element weight differs by 2.5e-4 relative after one resumed step",
        "test_ksave_reads_archive[lstm]":
            "resumed training of an Embedding(mask_zero) + LSTM model drifts 3.6e-5 relative from Keras 3 "
            "(predictions agree to 1e-6; Keras 3 applies dense updates to the embedding)",
        "test_keras3_reads_ksave_model[lstm-keras]":
            "resumed training of an Embedding(mask_zero) + LSTM model drifts 3.6e-5 relative from Keras 3 "
            "(predictions agree to 1e-6; Keras 3 applies dense updates to the embedding)",
    },
    "test_applications.py": {
        # Measured after TFOpLambda's merge (KSAVE_INTEROP_APPLICATIONS=all): MobileNetV3Small-tf_keras
        # passes every test, ConvNeXtTiny-tf_keras its predict (h5, SavedModel) and fine-tune tests.
        "test_keras_reads_what_ksave_writes[ConvNeXtTiny-tf_keras-*]":
            "tf-keras reading back ksave's .h5 of ConvNeXtTiny (TFOpLambda residual adds, LayerScale) still "
            "fails (measured; its message was not captured: the run was cut short before the summary, and "
            "the SavedModel case was not reached)",
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
    "test_ksave_reads_archive[conv2d]", "test_keras3_reads_ksave_model[conv2d-keras]",
    "test_ksave_reads_archive[lstm]", "test_keras3_reads_ksave_model[lstm-keras]",
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
