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


def test_no_eta_nan_and_resumed_work_left_out_of_the_rate(monkeypatch):
    """Before any unit is done there is no rate: the bar says nothing about the remaining
    time (it printed 'eta nan').  Units reported at the start (a resumed run) do not count
    in the rate: with 500 of 1000 resumed and 100 more done in 10 s, the rate is 10/s and
    the remaining 400 take 40 s."""
    from spinnet import progress
    monkeypatch.delenv("SPINNET_PROGRESS", raising=False)
    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    out = _Tty()
    bar = Progress(1000, "evaluating", unit="images", stream=out)
    bar.update(0)
    assert "nan" not in out.getvalue() and "eta" not in out.getvalue()
    bar = Progress(1000, "evaluating", unit="images", stream=out)
    bar.update(500)                      # resumed: reported as the bar starts
    clock[0] += 10.0
    bar.update(600)
    last = out.getvalue().split("\r")[-1]
    assert "(10 images/s" in last and "eta 40 s" in last, last
    clock[0] += 3590.0
    bar.update(601)                      # slow now: 101 in 3600 s, 399 left
    assert "eta 3 h 57 min" in out.getvalue().split("\r")[-1]
