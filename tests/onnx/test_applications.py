"""keras.applications backbones (the catalogue of issue 16), built by tf-keras 2.21 with
weights=None and seeded, saved as .h5: those ksave loads are written as ONNX, checked in full by
onnx's checker, and run by ONNX Runtime with ksave's outputs. A backbone ksave cannot load yet is
skipped naming what it lacks; one it loads but cannot export fails (MobileNetV3Small and
ConvNeXtTiny carry tf-keras's TF ops as TFOpLambda layers, which export like any other).

Tolerance: rtol 1e-5, atol 1e-6 scaled down to the output's magnitude (untrained backbones
shrink their activations: MobileNet's pooled outputs are about 1e-20, which atol 1e-6 would
pass whatever they were), unless the network is so deep that float32 rounding alone separates
implementations by more. Then ONNX Runtime must agree with ksave within what separates ksave from real Keras
(TensorFlow's kernels) plus what separates ONNX Runtime from real Keras itself: beyond that the
difference would be ksave's file, not the kernels. NASNetMobile (770 layers) is such a
network: Keras, ksave and ONNX Runtime differ pairwise by 5 to 15 times (1e-5, 1e-6) at its
output; since ksave computes convolutions with oneDNN, as TensorFlow does, ksave and Keras agree
closer than either agrees with ONNX Runtime (VGG16, InceptionV3).
"""
import os

import numpy as np
import pytest

import interop
import onnx_check

interop.quiet_tensorflow()
import tf_keras as K  # noqa: E402

# (name, constructor, input size): the smallest input each accepts without its top.
APPLICATIONS = [
    ("VGG16", "VGG16", 32), ("ResNet50", "ResNet50", 32), ("ResNet50V2", "ResNet50V2", 32),
    ("InceptionV3", "InceptionV3", 75), ("Xception", "Xception", 71), ("MobileNet", "MobileNet", 32),
    ("MobileNetV2", "MobileNetV2", 32), ("MobileNetV3Small", "MobileNetV3Small", 32),
    ("DenseNet121", "DenseNet121", 32), ("EfficientNetB0", "EfficientNetB0", 32),
    ("EfficientNetV2B0", "EfficientNetV2B0", 32), ("NASNetMobile", "NASNetMobile", 32),
    ("ConvNeXtTiny", "ConvNeXtTiny", 32),
]


@pytest.mark.parametrize("name,constructor,size", APPLICATIONS, ids=[a[0] for a in APPLICATIONS])
def test_backbone_exports_with_ksaves_outputs(name, constructor, size):
    folder = interop.case_dir("onnx_applications", name)
    K.utils.set_random_seed(21)
    model = getattr(K.applications, constructor)(weights=None, include_top=False, pooling="avg",
                                                 input_shape=(size, size, 3))
    path = os.path.join(folder, "model.h5")
    model.save(path)
    x = [interop.seeded(22).normal(0.0, 1.0, size=(2, size, size, 3)).astype(np.float32)]
    try:
        expected = onnx_check.ksave_predict(path, x, folder, "ksave")
    except onnx_check.KsaveError as e:
        pytest.skip(f"ksave cannot load {name} yet (issue 16): {str(e).strip().splitlines()[-1]}")
    target = os.path.join(folder, "model.onnx")
    onnx_check.convert(path, target)
    onnx_check.check_model(target)
    got = onnx_check.run_onnx(target, x)
    keras_out = model.predict(x[0], verbose=0)
    keras_gap = excess(keras_out, expected[0])
    onnx_keras_gap = excess(got[0], keras_out)
    onnx_gap = excess(got[0], expected[0])
    interop.log(f"{name}: ONNX Runtime vs ksave {onnx_gap:.3g}, Keras vs ksave {keras_gap:.3g}, "
                f"ONNX Runtime vs Keras {onnx_keras_gap:.3g} (x the tolerance)")
    # ksave is keras_gap from Keras and ONNX Runtime onnx_keras_gap from Keras: their sum bounds
    # what kernels alone put between ONNX Runtime and ksave.
    if onnx_gap > max(1.0, keras_gap + onnx_keras_gap):
        interop.assert_all_close(got, expected, f"{name}: ONNX Runtime against ksave (Keras is {keras_gap:.3g}x, ONNX Runtime "
                                 f"against Keras {onnx_keras_gap:.3g}x the tolerance away)",
                                 atol=scaled_atol(expected[0]))


def scaled_atol(expected):
    return interop.ATOL * min(1.0, float(np.abs(expected).max()))


def excess(actual, expected):
    """The largest |actual - expected| / (atol + rtol·|expected|): 1 is the tolerance's edge."""
    a, e = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    return float((np.abs(a - e) / (scaled_atol(e) + interop.RTOL * np.abs(e))).max())
