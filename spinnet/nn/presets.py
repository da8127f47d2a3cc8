"""Device presets: named parameter sets for training, compiling and netlists.

A preset fixes the physical parameters of the hardware-aware network (the ``phys`` dict of a
:class:`~spinnet.nn.model.HardwareModel`) and how each layer's transconductance stage is
designed:

* ``"wide-line"`` -- the set the shipped default model is trained with: broad resonators
  (``alpha = 0.2``) and a transconductance ``gm`` that maps a chain-voltage window of
  ``window * K * p_in`` onto the oscillator's current range ``[Ith, imax]`` with the
  threshold at 0 V (:func:`spinnet.nn.model.layer_design`);
* ``"seed-group"`` -- the parameter set published with the seed group's code and paper
  (physics.md §1-2): ``alpha = 0.01``, ``K = tan(pi/4) / (8 sqrt 2) / Ith`` (about
  8.8 mV per µW), STNO ``Ith = 10 µA``, ``R = 1 kOhm``, ``A = 1.25``, ``Q = 2``, current
  clamped to ``[Ith, 4 Ith]`` and a fixed transconductance stage ``gm = 3.4 µA/mV``,
  ``vbias = 11 mV``.

Every value carries its source in :data:`SOURCES` (docs/training.md prints the table).  The
pipeline reads parameters from the model file (``arch["phys"]`` and each layer's
``gm``/``vbias``) and never from a preset, so a model trained with either preset compiles
and evaluates with the values it was trained with; ``arch["preset"]`` records the name.
"""

from __future__ import annotations

from ..errors import ParameterError
from .physics import K_DEFAULT as K_GROUP

_STNO = {"A": 1.25, "R": 1e3, "Q": 2.0, "Ith": 10e-6, "imax": 40e-6}

#: Preset name -> ``{"phys": {...}, "design": {...}}``.  ``design`` holds either
#: ``window`` (gm derived per layer) or fixed ``gm`` (A/V) and ``vbias`` (V).
PRESETS: dict[str, dict] = {
    "wide-line": {
        "phys": {"p_in": 1e-6, "p_bias": 2e-6, "alpha": 0.2, "K": K_GROUP, "s": 0.0, **_STNO},
        "design": {"window": 3.0},
    },
    "seed-group": {
        "phys": {"p_in": 1e-6, "p_bias": 2e-6, "alpha": 0.01, "K": K_GROUP, "s": 0.0, **_STNO},
        "design": {"gm": 3.4e-3, "vbias": 11e-3},
    },
}

#: Alternative spellings accepted wherever a preset name is.
ALIASES = {"wide": "wide-line", "default": "wide-line", "group": "seed-group"}

DEFAULT_PRESET = "wide-line"

_PHYSICS_MD = "physics.md §2 (the paper group's network)"
#: Where each value comes from: (preset, key) -> source.
SOURCES: dict[tuple[str, str], str] = {
    **{(p, "K"): "physics.md §1: (dR/R) tan(gamma_p)/(8 sqrt2) beta_s/I_th with dR/R = 1, "
                 "gamma_p = pi/4, beta_s = 1, I_th = 10 µA (the group's public code)"
       for p in PRESETS},
    **{(p, k): _PHYSICS_MD for p in PRESETS for k in ("A", "R", "Q", "Ith")},
    **{(p, "imax"): "physics.md §2: current clamped to [I_th, 4 I_th]" for p in PRESETS},
    **{(p, "s"): "physics.md §1: pure anti-Lorentzian (s = 0) in the group's code"
       for p in PRESETS},
    **{(p, "p_in"): "spinnet choice: 1 µW, the STNO's maximum output (physics.md §2)"
       for p in PRESETS},
    **{(p, "p_bias"): "spinnet choice: 2 p_in, room for thresholds above one pixel"
       for p in PRESETS},
    ("wide-line", "alpha"): "spinnet choice (docs/training.md): broad lines keep weights "
                            "robust to 1 % resonance spread",
    ("seed-group", "alpha"): "physics.md §1 and §3: alpha = 0.01 in the group's code",
    ("wide-line", "window"): "spinnet choice (docs/training.md): gm maps 3 K p_in onto "
                             "[I_th, imax], threshold at 0 V",
    ("seed-group", "gm"): "physics.md §2: g_m ≈ 3.4 µA/mV",
    ("seed-group", "vbias"): "physics.md §2: V_bias ≈ 11 mV",
}


def names() -> list[str]:
    """Canonical preset names."""
    return list(PRESETS)


def canonical(name: str, where: str = "model") -> str:
    """Canonical name of preset ``name`` (aliases accepted, case-insensitive).

    Raises :class:`~spinnet.errors.ParameterError` (from ``where``) for an unknown name.
    """
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in PRESETS:
        raise ParameterError(where, "preset", name, "",
                             " or ".join(PRESETS) + f" (aliases: {', '.join(ALIASES)})")
    return key


def get(name: str) -> dict:
    """Copy of preset ``name``: ``{"name", "phys", "design"}``."""
    key = canonical(name)
    p = PRESETS[key]
    return {"name": key, "phys": dict(p["phys"]), "design": dict(p["design"])}


def table() -> list[dict]:
    """One row per (preset, parameter): value, unit and source (for docs and ``--json``)."""
    units = {"p_in": "W", "p_bias": "W", "alpha": "", "K": "V/W", "s": "", "A": "",
             "R": "ohm", "Q": "", "Ith": "A", "imax": "A", "window": "K p_in",
             "gm": "A/V", "vbias": "V"}
    rows = []
    for name, p in PRESETS.items():
        for key, v in {**p["phys"], **p["design"]}.items():
            rows.append({"preset": name, "key": key, "value": v, "unit": units[key],
                         "source": SOURCES[(name, key)]})
    return rows
