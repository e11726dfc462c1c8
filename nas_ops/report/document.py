"""A report as plain blocks (paragraphs, tables, figures, code), rendered to Markdown and HTML.

The HTML is self-contained: figures are embedded as base64 PNG data URIs, the style sheet and
the one script are inline, and nothing refers to another host. The script sets
``data-figures="rendered-N"`` on ``<body>`` once every one of the N images has decoded
(``naturalWidth > 0``), or ``"broken"`` otherwise, ``data-height`` on ``<body>`` to the page
height in CSS pixels, and ``data-errors="yes"`` on ``<html>`` on any script or resource error,
so a headless browser can check rendering. ``<meta name="nas-ops-figures">`` states how many
figures the page holds.

Long tables go into :class:`Details` blocks (a collapsed ``<details>`` element in HTML) and
:class:`Files` blocks link the CSV files that hold every row.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Paragraph:
    text: str


@dataclass
class Code:
    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Figure:
    path: Path  # the PNG file, relative paths are taken from the report directory
    caption: str
    anchor: str = ""  # an id that a :class:`Link` can point to ("" = none)


@dataclass
class Link:
    """A table cell that links to a place in the report (``#anchor``) or to a file of it."""

    text: str
    href: str


@dataclass
class Files:
    """Links to files of the report (paths relative to the report directory)."""

    caption: str
    paths: list[str]


@dataclass
class Details:
    """Blocks shown collapsed under a one-line summary."""

    summary: str
    blocks: list[Block]


Block = Paragraph | Code | Table | Figure | Files | Details


def count_figures(blocks: list[Block]) -> int:
    """The number of figures among ``blocks``, those inside :class:`Details` included."""
    return sum(count_figures(b.blocks) if isinstance(b, Details) else isinstance(b, Figure)
               for b in blocks)


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


def fmt(value: Any) -> str:
    """A table cell: floats with 4 significant digits, nan/None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Link):
        return value.text
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.4g}"
    return str(value)


# ----------------------------------------------------------------------------- Markdown
def _md_table(t: Table) -> str:
    esc = [[_md_cell(v).replace("|", "\\|") for v in row] for row in t.rows]
    lines = ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in esc]
    if t.caption:
        lines = [f"*{t.caption}*", "", *lines]
    return "\n".join(lines)


def _md_cell(value: Any) -> str:
    return f"[{value.text}]({value.href})" if isinstance(value, Link) else fmt(value)


def _md_block(b: Block) -> str:
    if isinstance(b, Paragraph):
        return b.text
    if isinstance(b, Code):
        return "```\n" + b.text.rstrip("\n") + "\n```"
    if isinstance(b, Table):
        return _md_table(b)
    if isinstance(b, Files):
        return f"{b.caption}: " + ", ".join(f"[{p}]({p})" for p in b.paths)
    if isinstance(b, Details):
        return "\n\n".join([f"**{b.summary}**", *(_md_block(x) for x in b.blocks)])
    anchor = f'<a id="{b.anchor}"></a>\n\n' if b.anchor else ""
    return f"{anchor}![{b.caption}]({b.path.as_posix()})\n\n*{b.caption}*"


def to_markdown(title: str, sections: list[Section]) -> str:
    parts = [f"# {title}", "", "Contents: " + ", ".join(
        f"[{s.title}](#{s.id})" for s in sections), ""]
    for s in sections:
        parts += [f'<a id="{s.id}"></a>', "", f"## {s.title}", ""]
        for b in s.blocks:
            parts += [_md_block(b), ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------------- HTML
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;word-break:break-all;font-size:.8em}
details{margin:.5em 0 1em}summary{cursor:pointer;color:#235}
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}nav a{margin-right:.8em}
"""

_SCRIPT = """
window.addEventListener('error', function () {
  document.documentElement.setAttribute('data-errors', 'yes');
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.every(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute('data-figures', ok ? 'rendered-' + imgs.length : 'broken');
  document.body.setAttribute('data-height', String(document.documentElement.scrollHeight));
});
"""


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{_html_cell(v)}</td>" for v in row) + "</tr>"
                   for row in t.rows)
    cap = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_cell(value: Any) -> str:
    if isinstance(value, Link):
        return f'<a href="{html.escape(value.href)}">{html.escape(value.text)}</a>'
    return html.escape(fmt(value))


def _html_block(b: Block, root: Path) -> str:
    if isinstance(b, Paragraph):
        return f"<p>{html.escape(b.text)}</p>"
    if isinstance(b, Code):
        return f"<pre>{html.escape(b.text)}</pre>"
    if isinstance(b, Table):
        return _html_table(b)
    if isinstance(b, Files):
        links = ", ".join(f'<a href="{html.escape(p)}">{html.escape(p)}</a>' for p in b.paths)
        return f"<p>{html.escape(b.caption)}: {links}</p>"
    if isinstance(b, Details):
        inner = "".join(_html_block(x, root) for x in b.blocks)
        return f"<details><summary>{html.escape(b.summary)}</summary>{inner}</details>"
    data = base64.b64encode((root / b.path).read_bytes()).decode("ascii")
    cap = html.escape(b.caption)
    anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
    return (f'<figure{anchor}><img alt="{cap}" src="data:image/png;base64,{data}">'
            f"<figcaption>{cap}</figcaption></figure>")


def to_html(title: str, sections: list[Section], root: Path) -> str:
    """The whole report as one HTML page; figure paths are read from ``root``."""
    nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    body = [f"<h1>{html.escape(title)}</h1>", f"<nav>{nav}</nav>"]
    for s in sections:
        body.append(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>')
        body += [_html_block(b, root) for b in s.blocks]
        body.append("</section>")
    n_figures = sum(count_figures(s.blocks) for s in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta name="nas-ops-figures" content="{n_figures}">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
            f"<script>{_SCRIPT}</script></head>\n<body>\n" + "\n".join(body)
            + "\n</body></html>\n")
