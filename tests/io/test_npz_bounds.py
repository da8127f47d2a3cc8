"""Bounded reading of ``.npz`` files (spinnet.io.read_npz) and of model files through it.

A crafted file must cost at most its budget: a zip bomb is refused from the zip directory
(declared sizes) before any member is decompressed, a lying ``.npy`` header before numpy
allocates the array it declares, and every malformed file is a DataError, never a traceback.
"""

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from spinnet.errors import DataError
from spinnet.io import read_npz, save_npz
from spinnet.nn.model import MAX_MODEL_BYTES, HardwareModel, default_model_path


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _bomb(path, extra_bytes: int, base=None):
    """A copy of ``base`` (or an empty zip) plus a deflated member of ``extra_bytes`` zeros
    behind a valid .npy header: small on disk, huge once decompressed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        if base is not None:
            with zipfile.ZipFile(base) as zin:
                for item in zin.namelist():
                    zout.writestr(item, zin.read(item))
        n = extra_bytes // 8
        head = np.lib.format.header_data_from_array_1_0(np.zeros(0))
        head["shape"] = (n,)
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, head)
        with zout.open("c1.fr.npy", "w", force_zip64=True) as fh:
            fh.write(buf.getvalue())
            chunk = bytes(1 << 24)
            for _ in range(n * 8 // len(chunk)):
                fh.write(chunk)
    return path


def test_zip_bomb_in_a_model_is_refused_before_decompression(tmp_path, monkeypatch):
    from spinnet.nn import model
    # a 16 MiB budget keeps the test fast; the mechanism is the same at MAX_MODEL_BYTES
    monkeypatch.setattr(model, "MAX_MODEL_BYTES", 16 * 2**20)
    bomb = _bomb(tmp_path / "bomb.npz", 32 * 2**20, base=default_model_path())
    assert bomb.stat().st_size < 2**20  # 0.1 MB of model + 32 kB of deflated zeros
    assert MAX_MODEL_BYTES >= 2**28
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(name) or
                        real_open(self, name, *a, **k))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="zip bomb"):
            HardwareModel.load(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert opened == []  # refused from the directory alone: nothing was decompressed
    assert peak < 2**20  # bytes allocated while refusing it (numpy's buffers included)
    HardwareModel.load()  # the shipped model is well inside the budget


def test_lying_npy_header_is_refused_before_allocation(tmp_path):
    """A member whose header declares 8 GB in an 88-byte member: numpy would allocate the
    declared array before reading; read_npz compares it with the member's size first."""
    head = np.lib.format.header_data_from_array_1_0(np.zeros(0))
    head["shape"] = (10**9,)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, head)
    p = tmp_path / "liar.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("x.npy", buf.getvalue() + bytes(8))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="declares 8000000000 bytes of array data"):
            read_npz(p, 1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("make, match", [
    (lambda z: z.writestr("dir/x.npy", _npy(np.ones(2))), "unexpected member"),
    (lambda z: z.writestr("x.txt", b"hello"), "unexpected member"),
    (lambda z: (z.writestr("x.npy", _npy(np.ones(2))), z.writestr("x.npy", _npy(np.ones(2)))),
     "unexpected member"),
    (lambda z: z.writestr(zipfile.ZipInfo("x.npy"), _npy(np.ones(2)),
                          compress_type=zipfile.ZIP_BZIP2), "compression method"),
    (lambda z: z.writestr("x.npy", b"\x93NUMPY garbage"), "not a valid"),
    (lambda z: z.writestr("x.npy", _npy(np.ones(4))[:-8]), "not a valid"),
])
def test_malformed_members_give_data_error(tmp_path, make, match):
    p = tmp_path / "bad.npz"
    with zipfile.ZipFile(p, "w") as z:
        make(z)
    with pytest.raises(DataError, match=match):
        read_npz(p, 1 << 20)


def test_object_arrays_and_non_zip_files(tmp_path):
    p = tmp_path / "obj.npz"
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("x.npy", buf.getvalue())
    with pytest.raises(DataError, match="pickle"):
        read_npz(p, 1 << 20)
    for name, data in (("empty.npz", b""), ("text.npz", b"not a zip"),):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataError, match="not a valid"):
            read_npz(tmp_path / name, 1 << 20)
    with pytest.raises(DataError, match="not found"):
        read_npz(tmp_path / "missing.npz", 1 << 20)
    with pytest.raises(DataError, match="folder"):
        read_npz(tmp_path, 1 << 20)


def test_round_trip_within_budget(tmp_path):
    arrays = {"v(out)": np.linspace(0, 1, 11), "n": np.arange(3), "s": np.array("text")}
    save_npz(tmp_path / "ok.npz", **arrays)
    back = read_npz(tmp_path / "ok.npz", 1 << 20)
    assert set(back) == set(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
    with pytest.raises(DataError, match="more than the 100 bytes"):
        read_npz(tmp_path / "ok.npz", 100)
