"""Marks the differences listed in known_differences.py as strict expected failures."""
import os

import pytest

import known_differences


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = known_differences.reason_for(os.path.basename(str(item.fspath)), item.name)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
