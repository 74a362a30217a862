"""The README's layer table (tests/interop/layer_table.py) is what the registry and the real Keras
layer lists give today: a layer class added to or removed from ksave, or a Keras upgrade, fails
here until the table is written again (`layer_table.py --ksave build/bin/ksave --update README.md`)."""
import os

import layer_table

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def test_readme_layer_table_is_current():
    with open(README) as f:
        text = f.read()
    start, end = text.find(layer_table.BEGIN), text.find(layer_table.END)
    assert 0 <= start < end, f"README.md has no '{layer_table.BEGIN}' block"
    written = text[start + len(layer_table.BEGIN):end].strip()
    current = layer_table.current_table(os.environ["KSAVE_CLI"])
    assert written == current.strip(), (
        "README.md's layer table is out of date; run: build/python-env/bin/python tests/interop/layer_table.py "
        "--ksave build/bin/ksave --update README.md")
