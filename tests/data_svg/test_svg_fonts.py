"""Text renders with both backends on a machine without system fonts (a slim container).

The renderers run in a child process that sees no system font: its fontconfig configuration
lists no font folder, its home is empty and, where user namespaces are allowed, the system font
folders are covered by empty tmpfs mounts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zeroplay.data.svg.fonts import fontconfig_text, with_generic_fallback

FAMILIES = ["sans-serif", "serif", "monospace", "Arial", "Helvetica", "Times New Roman", "Courier"]
SAME_AS = {"Arial": "sans-serif", "Helvetica": "sans-serif"}
SAME_AS |= {"Times New Roman": "serif", "Courier": "monospace"}
# The text "Hello 42" at x=10, baseline y=44, 32 px: its box lies inside x 8..230, y 12..50.
BOX = (8, 12, 230, 50)

_CHILD = """
import json, sys
from zeroplay.data.svg import SvgRenderConfig, SvgRenderer
backend, box, families = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
ns = 'xmlns="http://www.w3.org/2000/svg"'
svgs = [
    f'<svg {ns} width="240" height="60"><text x="10" y="44" font-size="32" '
    f'font-family="{family}" fill="black">Hello 42</text></svg>'
    for family in families
]
out = {}
with SvgRenderer(SvgRenderConfig(backend=backend, workers=1)) as render:
    for family, result in zip(families, render(svgs)):
        assert result.ok, result.reason
        image = result.image
        inside = image.crop(tuple(box))
        dark = sum(1 for p in inside.getdata() if max(p) < 100)
        dark_all = sum(1 for p in image.getdata() if max(p) < 100)
        out[family] = [dark, dark_all, image.tobytes().hex()]
print(json.dumps(out))
"""

_HIDDEN_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts")


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _render_without_system_fonts(backend: str, tmp_path: Path) -> dict[str, list]:
    """Run the renderer in a child that cannot see any system font."""
    empty_conf = tmp_path / "empty-fonts.conf"
    empty_conf.write_text(
        '<?xml version="1.0"?><fontconfig><cachedir>'
        f"{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ)
    env |= {"FONTCONFIG_FILE": str(empty_conf), "HOME": str(home)}
    env |= {"XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
    env.pop("FONTCONFIG_PATH", None)
    command = [sys.executable, "-c", _CHILD, backend, json.dumps(BOX), json.dumps(FAMILIES)]
    if _can_unshare():
        mounts = " && ".join(
            f"mount -t tmpfs none {folder}" for folder in _HIDDEN_FOLDERS if Path(folder).is_dir()
        )
        command = ["unshare", "-rm", "sh", "-c", f'{mounts} && exec "$@"', "sh", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", ["resvg", "cairosvg"])
def test_text_renders_in_common_families_without_system_fonts(backend, tmp_path):
    out = _render_without_system_fonts(backend, tmp_path)
    for family in FAMILIES:
        dark, dark_all, _pixels = out[family]
        assert dark > 150, (backend, family, dark)
        assert dark == dark_all, (backend, family, "dark pixels outside the text's box")
    # Common names look like the generic family they stand for.
    for name, generic in SAME_AS.items():
        assert out[name][2] == out[generic][2], (backend, name, generic)
    assert out["serif"][2] != out["sans-serif"][2] != out["monospace"][2]


def test_generic_fallback_is_appended_only_for_known_names():
    assert with_generic_fallback("Arial") == "Arial,sans-serif"
    assert with_generic_fallback("'Times New Roman'") == "'Times New Roman',serif"
    assert with_generic_fallback("Courier New, Foo") == "Courier New, Foo,monospace"
    assert with_generic_fallback("Arial, serif") == "Arial, serif"
    assert with_generic_fallback("Foo") == "Foo"


def test_fontconfig_file_lists_only_the_bundled_fonts(tmp_path):
    text = fontconfig_text(str(tmp_path))
    assert text.count("<dir>") == 1 and "mpl-data/fonts/ttf</dir>" in text
    assert "<include" not in text
    assert "<family>arial</family><prefer><family>DejaVu Sans</family>" in text
