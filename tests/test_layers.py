"""The import direction of docs/architecture.md: a layer never imports a layer above it, and a
recipe package never imports another recipe's package."""

from __future__ import annotations

import ast
from pathlib import Path

import zeroplay

ROOT = Path(zeroplay.__file__).parent

# Top to bottom; a package may import only the packages listed after its own row.
LAYERS: list[tuple[str, ...]] = [
    ("cli",),
    ("proof", "toy"),
    ("recipes",),
    ("runtime",),
    ("report",),
    ("eval",),
    ("rl",),
    ("games",),
    ("engines",),
    ("models",),
    ("data",),
    ("answers",),
]
RECIPE_PACKAGES = ("vision_zero", "visplay", "mm_zero")


def zeroplay_imports(path: Path) -> set[str]:
    """Absolute `zeroplay.*` modules `path` imports (at module level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("zeroplay.")}


def layer_of(package: str) -> int:
    for rank, names in enumerate(LAYERS):
        if package in names:
            return rank
    raise AssertionError(f"zeroplay.{package} is in no layer of LAYERS (add it)")


def test_every_import_goes_down_the_layers():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) == 1:
            continue  # zeroplay/__init__.py
        own = layer_of(parts[0])
        for module in zeroplay_imports(path):
            target = module.split(".")[1]
            if target != parts[0] and layer_of(target) <= own:
                upward.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def test_recipes_do_not_import_each_other():
    crossing = []
    for recipe in RECIPE_PACKAGES:
        for path in sorted((ROOT / "recipes" / recipe).rglob("*.py")):
            for module in zeroplay_imports(path):
                parts = [*module.split("."), ""]
                other = parts[1] == "recipes" and parts[2] in RECIPE_PACKAGES
                if other and parts[2] != recipe:
                    crossing.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not crossing, "\n".join(crossing)


def test_the_layer_check_sees_an_upward_import(tmp_path):
    fake = tmp_path / "bad.py"
    fake.write_text("def f():\n    from zeroplay.recipes.visplay import train\n")
    assert zeroplay_imports(fake) == {"zeroplay.recipes.visplay"}
    assert layer_of("recipes") < layer_of("rl")  # so rl importing it would be reported
