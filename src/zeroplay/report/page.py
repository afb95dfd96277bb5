"""The page around the sections: inline CSS, a tiny inline script for the episode selectors,
and a Content-Security-Policy that lets the file load nothing from outside itself."""

from __future__ import annotations

from collections.abc import Sequence

from zeroplay.report.figures import Plot
from zeroplay.report.html_parts import esc, figure, image_tag, note, section, tag
from zeroplay.report.images import png_data_uri

# Only inline styles, inline script and data: images; no network, fonts or frames.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1d2330; background: #f6f7f9; line-height: 1.4; }
header { background: #1f2d3d; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #c8d3df; font-size: 13px; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #dde2e8;
  padding: 6px 24px; z-index: 2; font-size: 14px; }
nav a { margin-right: 14px; color: #2457a6; text-decoration: none; }
main { padding: 8px 24px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; padding: 8px 18px 16px;
  margin: 16px 0; scroll-margin-top: 40px; }
h2 { font-size: 18px; border-bottom: 1px solid #eef0f3; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 4px; }
h4 { font-size: 14px; margin: 6px 0 10px; color: #33415c; }
h5 { font-size: 13px; margin: 4px 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
table.grid th, table.grid td { border: 1px solid #dde2e8; padding: 3px 8px; text-align: left;
  vertical-align: top; }
table.grid th { background: #f0f3f7; }
table.kv th { text-align: left; padding: 2px 12px 2px 0; color: #56627a; font-weight: 600;
  vertical-align: top; white-space: nowrap; }
table.kv td { padding: 2px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
figure { margin: 0; }
figure.wide { grid-column: 1 / -1; }
figure img.plot { width: 100%; height: auto; border: 1px solid #eef0f3; }
figcaption { font-size: 12px; color: #56627a; margin-top: 2px; }
.images { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.images figure { max-width: 380px; }
img.thumb { max-width: 360px; max-height: 360px; border: 1px solid #ccd3dc; }
.noimg { width: 200px; height: 120px; display: flex; align-items: center; justify-content: center;
  background: #f0f0f0; color: #888; font-size: 12px; border: 1px dashed #bbb; }
pre.text { white-space: pre-wrap; word-break: break-word; background: #f7f8fa; padding: 6px 8px;
  margin: 4px 0; font-size: 12px; max-height: 420px; overflow: auto; border-radius: 4px; }
pre.json { max-height: 520px; }
details { margin: 3px 0; }
details > summary { cursor: pointer; color: #2457a6; font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px;
  background: #e4e8ee; color: #33415c; margin: 1px 2px; }
.badge.good { background: #d7f0dc; color: #176b2c; }
.badge.bad { background: #f8dada; color: #8c1d1d; }
.badge.warn { background: #fcefd2; color: #7a5200; }
.badge.spy { background: #f3d9f5; color: #6d1d78; }
.badge.civ { background: #dbe7fb; color: #1c4587; }
.clue { font-weight: 600; }
.question { font-size: 15px; font-weight: 600; margin: 6px 0; }
.muted, .note, .source { color: #6b7588; font-size: 12px; }
.replay-group { border-top: 1px solid #eef0f3; margin-top: 12px; }
.picker select { font-size: 13px; max-width: 100%; margin: 4px 0 8px; }
article.episode { border-left: 3px solid #9fb3d1; padding: 2px 0 2px 12px; margin: 8px 0 18px; }
.attempt { border: 1px solid #eef0f3; border-radius: 4px; padding: 6px 10px; margin: 8px 0; }
ul.problems { font-size: 13px; color: #8c1d1d; }
"""

# Shows one episode per group at a time; without scripts every episode stays visible.
SCRIPT = """
document.querySelectorAll("select.episode-select").forEach(function (select) {
  var group = select.getAttribute("data-group");
  function show() {
    document.querySelectorAll("article.episode").forEach(function (episode) {
      if (episode.getAttribute("data-group") === group) {
        episode.hidden = episode.getAttribute("data-index") !== select.value;
      }
    });
  }
  select.addEventListener("change", show);
  show();
});
"""


def plots_grid(plots: Sequence[Plot], empty: str) -> str:
    """Plots side by side, each embedded as PNG with its caption."""
    if not plots:
        return note(empty)
    cells = []
    for plot in plots:
        caption = plot.title + (f". {plot.caption}" if plot.caption else "")
        image = image_tag(png_data_uri(plot.png), plot.title, "plot")
        cells.append(figure(image, caption, "wide" if plot.wide else None))
    return tag("div", "".join(cells), class_="plots")


def render_page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document; `sections` are (anchor, title, HTML of the section)."""
    nav = "".join(tag("a", esc(name), href=f"#{anchor}") for anchor, name, _ in sections)
    body = "".join(section(anchor, name, html) for anchor, name, html in sections)
    head = (
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">' + tag("title", esc(title)) + tag("style", CSS)
    )
    header = tag("header", tag("h1", esc(title)) + tag("p", esc(subtitle)))
    return (
        "<!DOCTYPE html>\n"
        + tag(
            "html",
            tag("head", head)
            + tag("body", header + tag("nav", nav) + tag("main", body) + tag("script", SCRIPT)),
            lang="en",
        )
        + "\n"
    )
