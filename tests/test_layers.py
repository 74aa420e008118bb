"""Every import points down: config → opendata → portal → contracts → strategy → artisanat.

The test reads every module of the product (not the tests) with ``ast``, top-level
imports and imports inside functions alike, and fails on any that runs upward; it also
fails on a lower layer naming a higher one by string (``apps.get_model("contracts", …)``,
``import_module("portal.views")``, a dotted path such as ``"strategy.views.X"``). ``bench`` sits beside the product:
it may import anything, nothing served imports it. ``config`` imports everything and
nothing imports it."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Highest first. A module may import its own layer and any layer below it.
LAYERS = ["bench", "config", "opendata", "portal", "contracts", "strategy", "artisanat"]
RANK = {name: index for index, name in enumerate(LAYERS)}


def product_modules():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield layer, path


def imported_roots(path):
    """(line, top-level package) of every import in the file, wherever it stands."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def named_roots(path):
    """(line, layer) of every string that names a layer: an app label given to
    ``get_model`` / ``get_app_config``, or a dotted path starting with a layer."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "get_model",
            "get_app_config",
        ):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value.split(".")[0]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            head, dot, rest = node.value.partition(".")
            if dot and head in RANK and rest[:1].isidentifier():
                yield node.lineno, head


def upward_imports():
    found = []
    for layer, path in product_modules():
        for line, root in imported_roots(path):
            if root in RANK and RANK[root] < RANK[layer]:
                found.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {root}")
        for line, root in named_roots(path):
            if root in RANK and RANK[root] < RANK[layer]:
                found.append(f"{path.relative_to(ROOT)}:{line} ({layer}) names {root}")
    return found


def test_every_layer_is_read():
    """The walk is not vacuous: every layer has modules, and they import things."""
    modules = {}
    for layer, path in product_modules():
        modules.setdefault(layer, []).append(path)
    assert set(modules) == set(LAYERS)
    assert all(len(paths) >= 5 for paths in modules.values()), {k: len(v) for k, v in modules.items()}
    assert any(root == "artisanat" for _line, root in imported_roots(ROOT / "strategy" / "models.py"))


def test_every_import_points_down():
    assert upward_imports() == []


def test_the_walk_reads_imports_inside_functions_too(tmp_path, monkeypatch):
    """The checker itself: a lazy import hidden in a function is found."""
    module = tmp_path / "artisanat" / "lazy.py"
    module.parent.mkdir()
    module.write_text(
        "import os\n\n\ndef f():\n    from strategy.models import Indicator\n    return Indicator\n\n\n"
        "def g():\n    return apps.get_model('contracts', 'Party'), import_module('portal.views')\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert upward_imports() == [
        "artisanat/lazy.py:5 (artisanat) imports strategy",
        "artisanat/lazy.py:10 (artisanat) names contracts",
        "artisanat/lazy.py:10 (artisanat) names portal",
    ]


def test_nothing_imports_the_bench_or_config_except_config():
    """No module of the product imports bench; only config imports config (and bench,
    whose settings extend config's)."""
    for layer, path in product_modules():
        roots = {root for _line, root in imported_roots(path)}
        if layer not in ("bench", "config"):
            assert "config" not in roots, path
        if layer != "bench":
            assert "bench" not in roots, path
