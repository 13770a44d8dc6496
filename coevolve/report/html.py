"""Small HTML builders for the report: every text goes through :func:`html.escape`.

The page is self-contained: inline CSS, one inline script and images beside it. The script marks
``<body>`` with ``data-images-ok="true"`` once every image has loaded (and ``data-images`` with
the loaded / total counts), so a headless browser can check the page.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1500px; padding: 1em 2em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; }
nav a { margin-right: 1em; }
section { margin: 2em 0; border-top: 1px solid #ccc; }
img.figure { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.levels { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1em; }
.levels figure { margin: 0; border: 1px solid #ddd; padding: 0.5em; }
.levels img { width: 100%; height: auto; image-rendering: pixelated; }
.note { color: #666; font-style: italic; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto;
      font-size: 0.85em; }
"""

CHECK_IMAGES = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (image) {
    return image.complete && image.naturalWidth > 0;
  });
  document.body.setAttribute("data-images", loaded.length + "/" + images.length);
  document.body.setAttribute("data-images-ok", String(loaded.length === images.length));
});
"""


@dataclass(frozen=True)
class Section:
    """One titled part of the page."""

    id: str
    """The HTML id (also the anchor of the navigation bar)."""
    title: str
    """The heading."""
    body: str
    """Inner HTML, already escaped."""


def esc(value) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value))


def number(value, digits: int = 3) -> str:
    """A number for a table cell; "-" for None."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return esc(value)


def table(header, rows, numeric=()) -> str:
    """A table; cells are escaped unless :class:`Raw`; ``numeric`` column indices align right."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if j in numeric else ''}>{_cell(cell)}</td>"
                         for j, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """HTML that :func:`table` puts in a cell as it is."""


def _cell(cell) -> str:
    return str(cell) if isinstance(cell, Raw) else esc(cell)


def link(href: str, text: str) -> Raw:
    """An escaped link."""
    return Raw(f'<a href="{esc(href)}">{esc(text)}</a>')


def image(src: str, alt: str, css: str = "figure") -> str:
    """An image with alternative text."""
    return f'<img class="{css}" src="{esc(src)}" alt="{esc(alt)}">'


def note(text: str) -> str:
    """A greyed remark."""
    return f'<p class="note">{esc(text)}</p>'


def code_page(title: str, source: str, back: str) -> str:
    """A page showing a program's source, with a link back to the report."""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
            f"<p><a href=\"{esc(back)}\">&larr; back to the report</a></p>"
            f"<h1>{esc(title)}</h1><pre>{esc(source)}</pre></body></html>\n")


def document(title: str, subtitle: str, sections: list[Section], notes: list[str]) -> str:
    """The whole report page."""
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    missing = ("<p class=\"note\">Not in this report: " + "; ".join(esc(n) for n in notes)
               + ".</p>") if notes else ""
    body = "".join(f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.body}</section>'
                   for s in sections)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style>"
            f"<script>{CHECK_IMAGES}</script></head><body>"
            f"<h1>{esc(title)}</h1><p>{esc(subtitle)}</p><nav>{nav}</nav>{missing}{body}"
            f"</body></html>\n")
