"""The layer order of docs/architecture.md holds: no module of spinnet imports one of a layer
listed after its own, function-level imports included (read from the source with ``ast``)."""

from __future__ import annotations

import ast
import re

from repo_paths import ROOT

# docs/architecture.md's list, in order; a module may import its own layer and earlier ones.
# The helpers beside the layers: ``progress`` and ``_jitcache`` import nothing of spinnet;
# ``explore`` (with ``explore_spec``) and ``report`` (with ``spot_check_multiplexed``) use
# the layers up to ``plot`` and serve ``cli`` only.
LAYERS = (
    ("", "units", "errors", "io", "progress", "_jitcache"),
    ("devices",),
    ("netlist",),
    ("engine",),
    ("data",),
    ("nn",),
    ("compiler",),
    ("plot",),
    ("explore", "explore_spec", "report", "spot_check_multiplexed"),
    ("cli", "__main__"),
)
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
PKG = ROOT / "spinnet"


def _module(path) -> tuple[str, str]:
    """``(dotted module name, dotted package it resolves relative imports against)``."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    return ".".join(parts), ".".join(parts[:-1])


def _imports(path) -> list[tuple[str, int]]:
    """Every spinnet module ``path`` imports (absolute names) with its line."""
    _name, package = _module(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                if node.module:
                    found.append((".".join(base + [node.module]), node.lineno))
                else:
                    found += [(".".join(base + [a.name]), node.lineno) for a in node.names]
            elif node.module and node.module.split(".")[0] == "spinnet":
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names
                      if a.name.split(".")[0] == "spinnet"]
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_module_imports_a_later_layer():
    wrong = []
    for path in sorted(PKG.rglob("*.py")):
        name, _package = _module(path)
        own = _layer(name)
        assert own in RANK, f"{name}: layer {own!r} is not in LAYERS (docs/architecture.md)"
        for target, line in _imports(path):
            other = _layer(target)
            if other == "__version__":  # ``from .. import __version__``: the package root
                other = ""
            assert other in RANK, f"{path}:{line}: {target} is in no layer"
            if RANK[other] > RANK[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {own or 'spinnet'} "
                             f"imports {target}")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_devices_come_before_netlist():
    """The netlist checks read the device table, so devices never import the netlist."""
    for path in sorted((PKG / "devices").rglob("*.py")):
        assert not [t for t, _ in _imports(path) if _layer(t) == "netlist"], path


def test_docs_list_the_layers_in_this_order():
    text = (ROOT / "docs" / "architecture.md").read_text()
    listed = re.findall(r"^      (\w+)/ ", text, flags=re.M)
    packages = [names[0] for names in LAYERS if (PKG / names[0]).is_dir() and names[0]]
    assert listed[:len(packages)] == packages
