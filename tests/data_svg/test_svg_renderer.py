"""The render sandbox end to end: hostile SVGs read no file, reach no network, cost one item."""

from __future__ import annotations

import base64
import multiprocessing
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.request
import zlib
from pathlib import Path

import pytest
from svg_probes import ListeningSocket, OpenWatch, inotify_available

from zeroplay.data.svg import SvgLimits, SvgRenderConfig, SvgRenderer
from zeroplay.data.svg.guard import install_guard

PNG_1X1 = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
GOOD = (
    f'<svg {NS} viewBox="0 0 80 60"><rect x="10" y="10" width="20" height="20" fill="#00f"/></svg>'
)


def use_bomb(levels: int = 9, fan: int = 10) -> str:
    """`<use>` references fanning out 10^9 times (an exponential render, not a parse, bomb)."""
    defs = ['<rect id="l0" width="2" height="2" fill="red"/>']
    for i in range(1, levels + 1):
        uses = "".join(f'<use href="#l{i - 1}" x="{j}"/>' for j in range(fan))
        defs.append(f'<g id="l{i}">{uses}</g>')
    return f'<svg {NS} width="500" height="500"><defs>{"".join(defs)}</defs><use href="#l{levels}"/></svg>'


def layer_bomb(layers: int = 100) -> str:
    """Nested group opacities: every layer needs its own full-canvas buffer (~1.6 GB in all)."""
    return (
        f'<svg {NS} width="2048" height="2048">'
        + '<g opacity="0.9">' * layers
        + '<rect width="2048" height="2048" fill="blue"/>'
        + "</g>" * layers
        + "</svg>"
    )


def png_bomb(side: int = 20_000) -> str:
    """A 64 KB PNG that decodes to side x side pixels (1.6 GB as RGBA), as a data URI."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = (b"\x00" * (1 + (side + 7) // 8)) * side
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grayscale
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
    return "data:image/png;base64," + base64.b64encode(png + chunk(b"IEND", b"")).decode()


def hostile_corpus(secret: dict[str, Path], port: int) -> dict[str, str]:
    """SVGs that try to read `secret` files or reach 127.0.0.1:`port` in every way we know."""
    png, svg_file, css, font, dtd = (secret[k] for k in ("png", "svg", "css", "ttf", "dtd"))
    net = f"http://127.0.0.1:{port}"
    rel = os.path.relpath(png)

    def doc(body: str, head: str = "") -> str:
        return f'{head}<svg {NS} width="64" height="64">{body}</svg>'

    return {
        "image_file_url": doc(f'<image href="file://{png}" width="64" height="64"/>'),
        "image_abs_path": doc(f'<image xlink:href="{png}" width="64" height="64"/>'),
        "image_relative": doc(f'<image href="{rel}" width="64" height="64"/>'),
        "image_network": doc(f'<image href="{net}/i.png" width="64" height="64"/>'),
        "use_external": doc(f'<use href="file://{svg_file}#a"/><use xlink:href="{net}/u.svg#a"/>'),
        "fe_image": doc(
            f'<filter id="f"><feImage href="file://{png}"/></filter>'
            '<rect width="9" height="9" filter="url(#f)"/>'
        ),
        "nested_svg_data_uri": doc(
            '<image width="9" height="9" href="data:image/svg+xml;utf8,'
            f"&lt;svg xmlns='http://www.w3.org/2000/svg'&gt;&lt;image href='file://{png}'/&gt;"
            '&lt;/svg&gt;"/>'
        ),
        "css_import": doc(f'<style>@import url("file://{css}"); @import url({net}/a.css);</style>'),
        "css_font_face": doc(
            f"<style>@font-face{{font-family:z;src:url(file://{font})}} text{{font-family:z}}</style>"
            '<text x="5" y="20">abc</text>'
        ),
        "css_url_values": doc(
            f'<rect width="9" height="9" style="fill:url(file://{svg_file}#g);'
            f'stroke:u\\72l({net}/s.svg#g)" filter="url({net}/f.svg#f)" mask="url(file://{svg_file}#m)"/>'
        ),
        "xml_stylesheet_pi": doc(
            '<rect width="9" height="9"/>', f'<?xml-stylesheet href="{net}/s.css"?>'
        ),
        "external_dtd": doc('<rect width="9" height="9"/>', f'<!DOCTYPE svg SYSTEM "{net}/x.dtd">'),
        "external_dtd_file": doc(
            '<rect width="9" height="9"/>', f'<!DOCTYPE svg SYSTEM "file://{dtd}">'
        ),
        "xxe_file": doc("<text>&x;</text>", f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file://{png}">]>'),
        "xxe_network": doc("<text>&x;</text>", f'<!DOCTYPE svg [<!ENTITY x SYSTEM "{net}/e">]>'),
        "parameter_entity": doc("", f'<!DOCTYPE svg [<!ENTITY % p SYSTEM "{net}/p"> %p;]>'),
        "billion_laughs": doc(
            "<text>&l9;</text>",
            "<!DOCTYPE svg [<!ENTITY l0 'lol'>"
            + "".join(f"<!ENTITY l{i} '{f'&l{i - 1};' * 10}'>" for i in range(1, 10))
            + "]>",
        ),
        "script": doc(
            f'<script>fetch("{net}/s")</script><script href="{net}/s.js"/><rect width="9" height="9"/>'
        ),
        "foreign_object": doc(
            f'<foreignObject width="64" height="64"><iframe xmlns="http://www.w3.org/1999/xhtml" '
            f'src="{net}/f"/><img xmlns="http://www.w3.org/1999/xhtml" src="file://{png}"/></foreignObject>'
        ),
        "svg_font_uri": doc(
            f'<font-face><font-face-src><font-face-uri xlink:href="file://{font}"/></font-face-src>'
            f'</font-face><tref xlink:href="file://{png}"/>'
        ),
        "png_bomb": doc(f'<image width="64" height="64" href="{png_bomb()}"/>'),
        "png_posing_svg_bomb": doc(
            '<image width="64" height="64" href="data:image/png;base64,'
            + base64.b64encode(use_bomb().encode()).decode()
            + '"/>'
        ),
        "filter_bomb": f'<svg {NS} width="2048" height="2048"><filter id="f">'
        '<feTurbulence baseFrequency="0.05" numOctaves="1000"/><feMorphology radius="500"/>'
        '<feGaussianBlur stdDeviation="5000"/></filter>'
        '<rect width="2048" height="2048" filter="url(#f)"/></svg>',
        "inline_png": doc(f'<image width="64" height="64" href="{PNG_1X1}"/>'),
        "huge_canvas": f'<svg {NS} width="100000" height="100000"><rect width="50000" height="50000"/></svg>',
        "deep_nesting": f'<svg {NS} width="9" height="9">'
        + "<g>" * 50_000
        + "</g>" * 50_000
        + "</svg>",
        "malformed": f'<svg {NS} width="9" height="9"><rect></svg>',
        "empty": "",
        "not_svg": "I cannot draw that.",
    }


# The PNG bomb's reference is dropped by the sanitizer (it declares 20000 x 20000 pixels), so it
# renders as an empty image instead of exhausting the worker's memory.
REFUSED = {
    "filter_bomb",
    "xxe_file",
    "xxe_network",
    "parameter_entity",
    "billion_laughs",
    "deep_nesting",
    "malformed",
    "empty",
    "not_svg",
}


@pytest.fixture(scope="module", params=["resvg", "cairosvg"])
def renderer(request):
    config = SvgRenderConfig(backend=request.param, workers=2, timeout_s=10.0)
    with SvgRenderer(config) as render:
        yield render


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for kind in ("png", "svg", "css", "ttf", "dtd"):
        path = tmp_path / f"secret-{os.getpid()}-{time.monotonic_ns()}.{kind}"
        path.write_bytes(b"not for the renderer")
        paths[kind] = path
    return paths


@pytest.mark.skipif(not inotify_available, reason="the file-open probe needs Linux inotify")
@pytest.mark.timeout(180)
def test_hostile_corpus_reads_no_file_and_reaches_no_network(renderer, secrets):
    listener = ListeningSocket()
    corpus = hostile_corpus(secrets, listener.port)
    watch = OpenWatch(list(secrets.values()))
    try:
        results = dict(zip(corpus, renderer(list(corpus.values())), strict=True))
        assert watch.events() == 0, "a secret file was opened"
        assert listener.connections() == 0, "the renderer connected to the network"
        for name, result in results.items():
            if name in REFUSED:
                assert not result.ok and result.reason.startswith("refused"), (name, result.reason)
            else:
                assert result.ok, (name, result.reason)
                assert result.image.mode == "RGB"
                assert result.image.size == (result.width, result.height)
        assert (results["huge_canvas"].width, results["huge_canvas"].height) == (2048, 2048)
        # The probes do detect what they claim to detect.
        secrets["png"].read_bytes()
        assert watch.events() >= 1
        socket.create_connection(("127.0.0.1", listener.port)).close()
        assert listener.connections() == 1
    finally:
        watch.close()
        listener.close()


def test_order_is_kept_and_the_same_batch_gives_the_same_results(renderer):
    text_svg = (
        f'<svg {NS} width="120" height="40"><rect width="120" height="40" fill="#ffd"/>'
        '<text x="5" y="28" font-size="20" font-family="sans-serif">Q3: 42%</text></svg>'
    )
    batch = [GOOD, "", text_svg, "<svg", GOOD.replace("#00f", "#f00"), 7]
    first = renderer.render_many(batch)
    second = renderer.render_many(batch)
    assert [r.ok for r in first] == [True, False, True, False, True, False]
    assert first[0].image.getpixel((20, 20)) == (0, 0, 255)
    assert first[4].image.getpixel((20, 20)) == (255, 0, 0)
    assert first[5].reason == "refused: not a string"
    for a, b in zip(first, second, strict=True):
        assert (a.ok, a.reason, a.width, a.height) == (b.ok, b.reason, b.width, b.height)
        assert (a.image.tobytes() if a.ok else None) == (b.image.tobytes() if b.ok else None)


def test_memory_bomb_fails_only_its_item(renderer):
    results = renderer([GOOD, layer_bomb(), GOOD])
    assert results[0].ok and results[2].ok
    assert not results[1].ok
    assert "memory" in results[1].reason or "died" in results[1].reason, results[1].reason


def test_transparent_background_white_by_default_black_when_code_faithful():
    transparent = f'<svg {NS} width="40" height="20"><text x="2" y="15" font-size="12" fill="black">ab</text></svg>'
    with SvgRenderer(SvgRenderConfig(workers=1, background="black")) as black:
        dark = black([transparent])[0]
    with SvgRenderer(SvgRenderConfig(workers=1)) as white:
        light = white([transparent])[0]
    assert dark.image.getpixel((39, 0)) == (0, 0, 0)
    assert light.image.getpixel((39, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("backend", "timeout_s", "reason"),
    [
        # resvg refuses it by its node limit (about 1 s idle, more on a loaded machine, so it
        # gets a budget it never needs); cairosvg draws until the per-item timeout.
        (
            "resvg",
            20.0,
            "render failed: ValueError: SVG data parsing failed cause nodes limit reached",
        ),
        ("cairosvg", 2.0, "render timed out after 2 s"),
    ],
)
def test_use_bomb_fails_in_bounded_time_and_costs_only_its_item(backend, timeout_s, reason):
    config = SvgRenderConfig(backend=backend, workers=1, timeout_s=timeout_s)
    with SvgRenderer(config) as render:
        results = render([use_bomb(), GOOD, GOOD])
    assert results[0].reason == reason
    assert results[1].ok and results[2].ok


def test_killed_worker_costs_only_its_item():
    config = SvgRenderConfig(backend="cairosvg", workers=1, timeout_s=60.0)
    with SvgRenderer(config) as render:
        out: list = []
        thread = threading.Thread(target=lambda: out.extend(render([use_bomb(), GOOD])))
        thread.start()
        time.sleep(1.0)
        victim = render._workers[0].process
        victim.kill()
        thread.join(timeout=60)
    assert out[0].reason == "render worker died (killed by SIGKILL)"
    assert out[1].ok


def test_worker_recycling_keeps_rendering():
    config = SvgRenderConfig(workers=1, max_items_per_worker=2)
    with SvgRenderer(config) as render:
        first_pid = render._workers[0].process.pid
        results = render([GOOD] * 5)
        assert render._workers[0].process.pid != first_pid
    assert all(r.ok for r in results)


def test_worker_that_cannot_start_raises_instead_of_failing_every_item():
    # A pool problem is not a render failure (the released renderer conflated them, §11.16).
    render = SvgRenderer(SvgRenderConfig(workers=2, startup_timeout_s=0.001))
    with pytest.raises(RuntimeError, match="failed to start: no answer within"):
        render.start()
    assert render._workers == []


def test_oversized_text_is_refused_without_reaching_a_worker():
    config = SvgRenderConfig(workers=1, limits=SvgLimits(max_chars=100))
    render = SvgRenderer(config)
    results = render.render_many(["<svg>" + " " * 200 + "</svg>"])
    render.close()
    assert results[0].reason == "refused: SVG text longer than 100 characters"


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(10)


def _write(path: str) -> None:
    with open(path, "w") as handle:
        handle.write("x")


def _guarded_probe(secret: str, port: int, queue) -> None:
    """Runs in a fresh process: install the guard, then try to escape."""
    install_guard([os.path.dirname(os.__file__)])
    outcomes = {}
    for name, action in {
        "read_secret": lambda: _read(secret),
        "write_file": lambda: _write(secret + ".new"),
        "connect": lambda: socket.create_connection(("127.0.0.1", port), timeout=2),
        "subprocess": lambda: subprocess.run(["true"], check=False),
        "read_stdlib": lambda: _read(os.__file__),
        "data_uri": lambda: urllib.request.urlopen("data:,inline").read(),
        "http_url": lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/x", timeout=2),
    }.items():
        try:
            action()
            outcomes[name] = "allowed"
        except PermissionError:
            outcomes[name] = "denied"
    queue.put(outcomes)


@pytest.mark.skipif(not inotify_available, reason="the file-open probe needs Linux inotify")
def test_guard_denies_files_network_and_processes(secrets):
    listener = ListeningSocket()
    watch = OpenWatch([secrets["png"]])
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_guarded_probe, args=(str(secrets["png"]), listener.port, queue)
    )
    process.start()
    outcomes = queue.get(timeout=60)
    process.join(timeout=10)
    assert outcomes == {
        "read_secret": "denied",
        "write_file": "denied",
        "connect": "denied",
        "subprocess": "denied",
        "read_stdlib": "allowed",
        "data_uri": "allowed",
        "http_url": "denied",
    }
    assert watch.events() == 0 and listener.connections() == 0
    assert not Path(str(secrets["png"]) + ".new").exists()
    watch.close()
    listener.close()


@pytest.mark.parametrize("backend", ["resvg", "cairosvg"])
def test_hostile_embedded_rasters_render_without_their_payload(backend):
    # cairosvg sniffed the bytes of a "PNG" that was SVG text and rendered the nested use bomb
    # until the timeout; a PNG declaring 25000 x 25000 pixels aborted the resvg worker.
    posing = base64.b64encode(use_bomb().encode()).decode()
    svgs = [
        f'<svg {NS} width="64" height="64"><image width="64" height="64" '
        f'href="data:image/png;base64,{posing}"/></svg>',
        f'<svg {NS} width="64" height="64"><image width="64" height="64" '
        f'href="{png_bomb(25_000)}"/></svg>',
        f'<svg {NS} width="64" height="64"><image width="64" height="64" href="{PNG_1X1}"/></svg>',
    ]
    with SvgRenderer(SvgRenderConfig(backend=backend, workers=1, timeout_s=20.0)) as render:
        results = render(svgs)
    assert all(r.ok for r in results), [r.reason for r in results]
    assert results[2].image.getpixel((32, 32)) != (255, 255, 255)  # a safe raster still draws
