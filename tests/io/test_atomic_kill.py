"""Nothing lost: a process SIGKILLed while writing through spinnet.io leaves the old file or
the new one, never a torn one.  A control run with a plain ``open()`` shows that the same
kill does tear a file, so the test can see tearing when it happens.
"""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from spinnet.io import atomic_open, save_npz

CHUNK = 1 << 20   # 1 MiB
CHUNKS = 4        # the writer parks after 2 of them, so the kill lands mid-write

WRITER = textwrap.dedent("""
    import hashlib, os, sys, time
    from pathlib import Path
    from spinnet.io import atomic_open
    path, version, mode, marker = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    chunk = (version * (%(chunk)d // len(version) + 1))[:%(chunk)d].encode()
    digest = hashlib.sha256()
    ctx = atomic_open(path, "wb") if mode == "atomic" else open(path, "wb")
    fh = ctx.__enter__()
    for i in range(%(chunks)d):
        fh.write(chunk)
        digest.update(chunk)
        fh.flush()
        os.fsync(fh.fileno())  # the partial bytes are on disk when the kill comes
        if i == 1:
            marker.write_text("mid-write")
            time.sleep(30)  # parked mid-write: the parent kills us here
    fh.write(b"\\nsha256=" + digest.hexdigest().encode())
    ctx.__exit__(None, None, None)
""") % {"chunk": CHUNK, "chunks": CHUNKS}


def _complete(path: Path) -> str | None:
    """The version a file holds if it is complete (its trailing checksum matches), else None."""
    data = path.read_bytes()
    body, sep, tail = data.rpartition(b"\nsha256=")
    if not sep or hashlib.sha256(body).hexdigest().encode() != tail:
        return None
    return body[:1].decode()


def _write_full(path: Path, version: str) -> None:
    chunk = (version * CHUNK)[:CHUNK].encode()
    body = chunk * 4
    with atomic_open(path, "wb") as fh:
        fh.write(body + b"\nsha256=" + hashlib.sha256(body).hexdigest().encode())


def _kill_mid_write(tmp_path: Path, target: Path, mode: str) -> list[Path]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(script), str(target), "N", mode, str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "writer exited before reaching the middle"
            assert time.monotonic() < deadline, "writer never reached the middle"
            time.sleep(0.01)
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(f".{target.name}.")]
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return temps


def test_sigkill_mid_write_leaves_old_file(tmp_path):
    target = tmp_path / "report.bin"
    _write_full(target, "O")
    assert _complete(target) == "O"
    temps = _kill_mid_write(tmp_path, target, "atomic")
    # the kill came while a partial temporary file existed next to the target ...
    assert len(temps) == 1 and temps[0].stat().st_size >= 2 * CHUNK
    # ... and the target is still the old, complete file
    assert _complete(target) == "O"


def test_plain_open_is_torn_by_the_same_kill(tmp_path):
    """Control: the harness detects tearing when the writer is not atomic."""
    target = tmp_path / "report.bin"
    _write_full(target, "O")
    _kill_mid_write(tmp_path, target, "plain")
    assert _complete(target) is None
    assert target.stat().st_size == 2 * CHUNK  # exactly what was written before the kill


def test_completed_atomic_write_replaces_file(tmp_path):
    target = tmp_path / "report.bin"
    _write_full(target, "O")
    _write_full(target, "N")
    assert _complete(target) == "N"
    assert [p.name for p in tmp_path.iterdir()] == ["report.bin"]  # no temporaries left


def test_exception_mid_write_keeps_old_file_and_removes_temporary(tmp_path):
    target = tmp_path / "a.npz"
    save_npz(target, x=np.arange(5))
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of a write
    with np.load(target, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["x"], np.arange(5))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]


def test_sigkill_at_random_moments_of_npz_saves(tmp_path):
    """Kill a loop of large ``save_npz`` calls at several moments: every survivor loads whole.

    The writer alternates between two array versions; whichever moment the kill lands in,
    the file must load and equal one of them.
    """
    target = tmp_path / "result.npz"
    script = tmp_path / "npz_writer.py"
    script.write_text(textwrap.dedent(f"""
        import sys, numpy as np
        from spinnet.io import save_npz
        rng = np.random.default_rng(0)
        a = rng.random(2_000_000)          # 16 MB, incompressible enough to take a while
        b = -a
        save_npz({str(target)!r}, x=a)
        print("ready", flush=True)
        i = 0
        while True:
            save_npz({str(target)!r}, x=a if i % 2 else b)
            i += 1
    """))
    a = np.random.default_rng(0).random(2_000_000)
    for delay in (0.05, 0.23, 0.41):
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        with np.load(target, allow_pickle=False) as z:
            x = z["x"]
        assert np.array_equal(x, a) or np.array_equal(x, -a)


def test_atomic_files_get_normal_permissions(tmp_path):
    """mkstemp's 0600 must not leak: new files follow the umask, replaced ones keep theirs."""
    from spinnet.io import write_text
    mask = os.umask(0o022)
    try:
        p = tmp_path / "new.txt"
        write_text(p, "a")
        assert p.stat().st_mode & 0o777 == 0o644
        p.chmod(0o640)
        write_text(p, "b")
        assert p.stat().st_mode & 0o777 == 0o640 and p.read_text() == "b"
    finally:
        os.umask(mask)


def test_later_run_removes_orphans_of_killed_writers_only(tmp_path):
    """A SIGKILL mid-write leaves a temporary file; the next process that writes into the
    folder removes it (its writer's pid is gone), and nothing spinnet did not make, nor a
    write still in progress in a live process."""
    target = tmp_path / "report.bin"
    _write_full(target, "O")
    (orphan,) = _kill_mid_write(tmp_path, target, "atomic")
    assert orphan.exists() and ".spinnet-" in orphan.name
    from spinnet.io import _host
    host = _host()
    live = tmp_path / f".other.bin.spinnet-{host}-{os.getpid()}-0123abcd.tmp"   # writer alive
    old_live = tmp_path / f".old.bin.spinnet-{host}-{os.getpid()}-89abcdef.tmp"  # 2 days old
    # a pid of another machine sharing the folder says nothing here: kept until a day old
    remote = tmp_path / ".r.bin.spinnet-elsewhere0-999999999-0123abcd.tmp"
    users = [tmp_path / ".report.bin.mine.tmp", tmp_path / "notes.spinnet-h-999999999-0123abcd.tmp",
             remote]
    for p in (live, old_live, *users):
        p.write_bytes(b"x")
    two_days = time.time() - 2 * 24 * 3600
    os.utime(old_live, (two_days, two_days))
    subprocess.run([sys.executable, "-c", "import sys; from spinnet.io import write_text; "
                    "write_text(sys.argv[1], 'later run')", str(target)], check=True,
                   timeout=120)
    assert target.read_text() == "later run"
    assert not orphan.exists() and not old_live.exists()
    assert live.exists() and all(p.exists() for p in users)
