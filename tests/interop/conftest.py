"""Marks the differences listed in known_differences.py as expected failures (strict but for
float32-rounding noise)."""
import os

import pytest

import known_differences


def pytest_collection_modifyitems(config, items):
    for item in items:
        known = known_differences.reason_for(os.path.basename(str(item.fspath)), item.name)
        if known:
            reason, strict = known
            item.add_marker(pytest.mark.xfail(reason=reason, strict=strict))
