"""``spinnet compile [MODEL] -o NET``: lower a hardware-aware CNN to a netlist.

Prints the hardware summary per layer (resonators, oscillators, field lines, chains,
distinct frequencies, latency, power, weight-sharing error) and writes the netlist
atomically.  Without MODEL the shipped default model is compiled.
"""

from __future__ import annotations

import json
import os

from ..errors import ParameterError


def add_parser(sub) -> None:
    p = sub.add_parser("compile", help="compile a hardware-aware CNN model to a netlist",
                       description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default=None,
                   help="model file (.npz) or a shipped model's name (default, "
                        "multiplexed); the shipped default model when omitted")
    p.add_argument("-o", "--output", required=True, metavar="NET", help="netlist file to write")
    p.add_argument("--scheme", choices=["parallel", "sequential"], default="parallel")
    p.add_argument("--arrangement", default=None, metavar="NAME",
                   help="local-lines (alias B): a line per input; multiplexed (alias A): "
                        "unique tones per receptive field; default: the model's")
    p.add_argument("--preset", default=None, metavar="NAME",
                   help="map the model onto a device preset (wide-line, seed-group) that "
                        "differs only in alpha; default: the model's own parameters")
    p.add_argument("--spread", type=float, default=0.0,
                   help="relative device-to-device spread (0.01 = 1%%), needs --seed")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the spread draw (an integer >= 0)")
    p.add_argument("--output-junctions", choices=["level1", "macrospin"], default="level1",
                   help="junction model of the output layer: level1 (default) or macrospin "
                        "(level-2 stacks realising the same weights, times --k-scale; "
                        "local-lines arrangement, parallel scheme)")
    p.add_argument("--k-scale", type=float, default=0.01,
                   help="common factor on the macrospin output layer's weights and scores "
                        "(keeps the precession linear; default 0.01)")
    p.add_argument("--report", metavar="FILE.json", default=None,
                   help="also write the compile report as JSON")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..compiler import compile_model, load_model
    from ..io import write_text
    from ..netlist import write

    if args.spread and args.seed is None:
        raise ParameterError("compile", "--seed", None, "", "an integer when --spread > 0")
    if args.seed is not None and args.seed < 0:
        raise ParameterError("compile", "--seed", args.seed, "", "an integer >= 0")
    _refuse_clashes(args)
    model = load_model(args.model)
    if args.preset is not None and model.kind == "hardware":
        from ..nn import presets
        if presets.canonical(args.preset, "compile") != model.preset:
            model = model.with_preset(args.preset)
    nl, rep = compile_model(model, scheme=args.scheme, arrangement=args.arrangement,
                            spread=args.spread, seed=args.seed)
    if args.model:
        rep.model = str(args.model)
    else:
        rep.model = "default"
    mac = None
    if args.output_junctions == "macrospin":
        if args.scheme != "parallel" or rep.arrangement != "local-lines":
            raise ParameterError("compile", "--output-junctions", "macrospin", "",
                                 "the parallel scheme's local-lines arrangement (one tone "
                                 "per drive line)")
        from ..compiler.macrospin_layer import to_macrospin
        nl, mac = to_macrospin(nl, k_scale=args.k_scale)
    write_text(args.output, write(nl) + "\n")
    if args.report:
        write_text(args.report, rep.to_json() + "\n")
    if args.json:
        d = rep.to_dict()
        d["netlist"] = str(args.output)
        if mac is not None:
            d["output_junctions"] = mac
        print(json.dumps(d, sort_keys=True))
    else:
        print(rep.table())
        if mac is not None:
            print(f"layer {mac['layer']} on macrospin junctions: {mac['junctions']} stacks, "
                  f"weights and scores x {mac['k_scale']:g}, resonances "
                  f"{mac['fr_range_hz'][0] / 1e9:.3f}-{mac['fr_range_hz'][1] / 1e9:.3f} GHz, "
                  f"{mac['clipped']} weights clipped to the stack's range")
        print(f"wrote {args.output}: {len(nl.elements)} elements, {len(nl.inputs)} inputs, "
              f"{len(nl.outputs)} outputs")
    return 0


def same_file(a, b) -> bool:
    """Whether paths ``a`` and ``b`` name one file (links and ``..`` resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:    # one of them does not exist yet
        return os.path.realpath(a) == os.path.realpath(b)


def _refuse_clashes(args) -> None:
    """Refuse an output path that is another output or the model being compiled: a
    netlist written over by its report, or a model over by its netlist, is lost."""
    outputs = [("-o/--output", args.output)]
    if args.report:
        outputs.append(("--report", args.report))
    if args.report and same_file(args.output, args.report):
        raise ParameterError("compile", "--report", args.report, "",
                             f"a file other than the netlist -o {args.output}")
    from ..nn.model import model_path
    model = model_path(args.model)
    for opt, path in outputs:
        if same_file(model, path):
            raise ParameterError("compile", opt, path, "",
                                 f"a file other than the model being compiled ({model})")
