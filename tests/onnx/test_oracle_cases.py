"""Every case of the TensorFlow.js oracle (../shared/oracle): ksave reads the case's model.h5,
writes it as ONNX, and ONNX Runtime's outputs equal ksave's for the case's input (and the
oracle's own outputs, within the case's tolerance).

The cases are generated into the build folder with a salt of our own (new weights and inputs
for the same architectures) by the onnx_oracle_cases CTest fixture; without node/npm they are
the oracle's cases-sample, read in place.
"""
import json
import os

import numpy as np
import pytest

import interop
import onnx_check

# $KSAVE_ORACLE when the test runs, else ../shared/oracle beside the source tree (as every suite).
ORACLE = os.environ.get("KSAVE_ORACLE") or os.path.join(os.environ.get("KSAVE_SOURCE_DIR", ""), "..", "shared", "oracle")
GENERATED = os.environ.get("KSAVE_ONNX_ORACLE_CASES", "")


def case_root():
    if GENERATED and os.path.isfile(os.path.join(GENERATED, "index.json")):
        return GENERATED
    sample = os.path.join(ORACLE, "cases-sample")
    return sample if os.path.isdir(sample) else None


ROOT = case_root()
CASES = sorted(d for d in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, d, "case.json"))) if ROOT else []


def read_bin(folder, spec):
    return np.fromfile(os.path.join(folder, spec["file"]), dtype="<f4").reshape(spec["shape"])


def test_cases_are_present():
    assert ROOT, f"no oracle cases: neither {GENERATED!r} (generated) nor {ORACLE!r}/cases-sample"
    interop.log(f"oracle cases from {ROOT}")
    assert len(CASES) >= 56, f"{ROOT} holds {len(CASES)} cases, the oracle writes 56"


@pytest.mark.parametrize("name", CASES)
def test_onnx_runtime_gives_ksaves_outputs(name):
    folder = os.path.join(ROOT, name)
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    work = interop.case_dir("onnx_oracle", name)
    model_h5 = os.path.join(folder, "model.h5")
    onnx_path = os.path.join(work, "model.onnx")
    onnx_check.convert(model_h5, onnx_path)
    inputs = [read_bin(folder, spec) for spec in case["inputs"]]
    ours = onnx_check.ksave_predict(model_h5, inputs, work, "ksave", outputs=len(case["outputs"]))
    onnx_check.assert_onnx_matches(onnx_path, inputs, ours, name)
    tolerance = case["tolerance"]
    oracle = [read_bin(folder, spec) for spec in case["outputs"]]
    got = onnx_check.run_onnx(onnx_path, inputs)
    interop.assert_all_close(got, oracle, f"{name}: ONNX Runtime against the tfjs oracle", tolerance["rtol"], tolerance["atol"])
