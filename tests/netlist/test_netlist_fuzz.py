"""A few thousand fuzzed netlists: no escapes, no hangs, every error located.

The full run (>= 100 000 inputs) is ``python benchmarks/fuzz_netlist.py``; this CI slice
uses the same code with a fixed seed.
"""

from __future__ import annotations


def test_fuzz_slice(fuzz_mod):
    r = fuzz_mod.fuzz(n=2500, seed=7, bound=5.0, hypothesis_share=0.1, verbose=False)
    detail = [(k, info, text[:200]) for k, text, info in r["failures"][:5]]
    assert r["tried"] == 2500
    assert r["escapes"] == 0, detail
    assert r["hangs"] == 0, detail
    assert r["unlocated"] == 0, detail
    assert r["roundtrip_failures"] == 0 and r["unwritable"] == 0, detail
    # the slice exercises both outcomes, with many different diagnostics
    assert r["accepted"] > 100 and r["rejected"] > 500 and r["distinct_messages"] > 100


def test_mutations_are_reproducible(fuzz_mod):
    import random
    corpus = fuzz_mod.seed_corpus()
    a = [fuzz_mod.mutate(corpus[0], random.Random(3), corpus) for _ in range(3)]
    b = [fuzz_mod.mutate(corpus[0], random.Random(3), corpus) for _ in range(3)]
    assert a == b


def test_bomb_shapes_in_the_corpus_are_bounded(fuzz_mod, tmp_path, monkeypatch):
    """The small bomb shapes of the mutation corpus (backward .param chain, include
    fan-out, FIFO and /proc includes, a card past the token cap, parameters x instances)
    each parse/check/flatten within the fuzzer's CPU bound, with a located error or
    accepted; the full-size bombs run in tests/netlist/test_netlist_bounds.py."""
    import os
    import signal
    from collections import Counter

    shapes = [h for h in fuzz_mod.HOSTILE if len(h) > 2000 or "fuzz_fan" in h
              or "fifo" in h or "environ" in h]
    assert len(shapes) >= 6
    for level in range(4):
        (tmp_path / f"fuzz_fan{level}.cir").write_text(
            "* fan\n" + ("" if level == 3 else f".include fuzz_fan{level + 1}.cir\n" * 10))
    os.mkfifo(tmp_path / "fuzz_fifo.cir")
    monkeypatch.chdir(tmp_path)
    old = signal.signal(signal.SIGVTALRM, fuzz_mod._alarm)
    try:
        stats, messages, failures = Counter(), Counter(), []
        for h in shapes:
            fuzz_mod.run_one("bomb\nV1 a 0 1\nR1 a 0 1\n" + h, stats, messages, failures, 5.0)
    finally:
        signal.signal(signal.SIGVTALRM, old)
    assert stats["tried"] == len(shapes)
    assert not failures, [(k, info) for k, _, info in failures]
