#!/usr/bin/env python3
"""Seed corpora for the fuzz harnesses, from the real fixtures read in place.

    make_seeds.py FIXTURES_DIR OUT_DIR

Writes OUT_DIR/<harness>/: links to fixture files where a harness reads a file as it is (HDF5,
.keras, .npy, JSON, saved_model.pb), and generated inputs where it reads two files in one
(a bundle's .index and data shard, saved_model.pb and keras_metadata.pb: a 4-byte little-endian
length, the first file, the second). Nothing is copied into the repository. Standard library only.
"""
import os
import struct
import sys
import zipfile


def files_under(root):
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            yield os.path.join(folder, name)


def starts_with(path, magic):
    with open(path, "rb") as f:
        return f.read(len(magic)) == magic


def link(out, name, target):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name.replace(os.sep, "_"))
    if not os.path.lexists(path):
        os.symlink(os.path.abspath(target), path)


def write(out, name, data):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name.replace(os.sep, "_")), "wb") as f:
        f.write(data)


def two_files(first, second):
    return struct.pack("<I", len(first)) + first + second


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(fixtures, out):
    for path in files_under(fixtures):
        rel = os.path.relpath(path, fixtures)
        name = os.path.basename(path)
        if starts_with(path, b"\x89HDF\r\n\x1a\n"):
            link(os.path.join(out, "h5_model"), rel, path)
            link(os.path.join(out, "hdf5_image"), rel, path)
        elif starts_with(path, b"PK\x03\x04") and name.endswith(".keras"):
            link(os.path.join(out, "keras_zip"), rel, path)
            with zipfile.ZipFile(path) as archive:
                for entry in archive.namelist():
                    if entry.endswith(".h5"):
                        write(os.path.join(out, "hdf5_image"), rel + "_" + entry, archive.read(entry))
                    elif entry == "config.json":
                        write(os.path.join(out, "model_json"), rel + "_" + entry, archive.read(entry))
        elif name.endswith(".npy"):
            link(os.path.join(out, "npy"), rel, path)
        elif name.endswith(".json") and b"class_name" in read(path):
            link(os.path.join(out, "model_json"), rel, path)
        elif name.endswith(".index"):
            prefix = path[: -len(".index")]
            shard = next((prefix + s for s in (".data-00000-of-00001", ".data-00000-of-00002") if os.path.exists(prefix + s)), None)
            if shard:
                write(os.path.join(out, "bundle"), rel, two_files(read(path), read(shard)))
        elif name == "checkpoint" and os.path.isfile(path):
            link(os.path.join(out, "checkpoint_state"), rel, path)
        elif name == "saved_model.pb":
            link(os.path.join(out, "graph"), rel, path)
            metadata = os.path.join(os.path.dirname(path), "keras_metadata.pb")
            extra = read(metadata) if os.path.exists(metadata) else b""
            write(os.path.join(out, "saved_model"), rel, two_files(read(path), extra))
    for harness in ("h5_model", "hdf5_image", "keras_zip", "bundle", "checkpoint_state", "saved_model", "graph", "model_json", "npy", "onnx_inspect"):
        os.makedirs(os.path.join(out, harness), exist_ok=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_seeds.py FIXTURES_DIR OUT_DIR")
    main(sys.argv[1], sys.argv[2])
