"""Progress bars: a bar on terminals, one summary line in logs, silence on request."""

import io

from spinnet.progress import Progress


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_log_gets_one_summary_line(monkeypatch):
    monkeypatch.delenv("SPINNET_PROGRESS", raising=False)
    out = io.StringIO()
    with Progress(50, "evaluating", unit="images", stream=out) as bar:
        for k in range(0, 51, 10):
            bar.update(k)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evaluating: 50/50 images in ")


def test_terminal_gets_a_redrawn_bar(monkeypatch):
    monkeypatch.delenv("SPINNET_PROGRESS", raising=False)
    out = _Tty()
    bar = Progress(4, "solving", stream=out)
    bar(4, 4)  # the callback form compiler.evaluate uses
    bar.close()
    text = out.getvalue()
    assert text.startswith("\r") and "[" + "#" * 24 + "]" in text and "4/4" in text
    assert text.endswith("\n")


def test_environment_switches(monkeypatch):
    out = io.StringIO()
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    with Progress(3, "quiet", stream=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""
    monkeypatch.setenv("SPINNET_PROGRESS", "1")
    with Progress(3, "forced", stream=out) as bar:
        bar.update(3)
    assert "\r" in out.getvalue()


def test_interrupted_bar_says_so(monkeypatch):
    monkeypatch.delenv("SPINNET_PROGRESS", raising=False)
    out = io.StringIO()
    try:
        with Progress(10, "work", stream=out) as bar:
            bar.update(3)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert "3/10" in out.getvalue() and "(interrupted)" in out.getvalue()
