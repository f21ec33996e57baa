"""The chart of decisions over time as SVG (issue 11, item 1: "SVG rendered on the server;
readable without JavaScript"): matplotlib (Agg's SVG backend, no pyplot, no display),
permitted and denied decisions stacked per day, week or month (denials hatched, so colour
is not the only difference), each bar a link to the records behind it, the directive
changes as labelled vertical lines, the axis in local (Eastern) dates.

The SVG is made for the page it is inlined in: text stays text (``svg.fonttype`` none), the
output is deterministic (``svg.hashsalt``, no date), and every ``style`` attribute is
turned into presentation attributes, because the pages' Content-Security-Policy refuses
inline styles. ``Bar`` carries what a bar links to and says; ``Mark`` a line's label.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "liaison-charts",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
}
PERMIT_COLOUR = "#1f5f8b"  # site.css --accent-ish, contrast >= 3:1 on white
DENY_COLOUR = "#9b1c1c"
MARK_COLOUR = "#444444"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bucket: its label (``2025-09-03``), first day, permits and denials, and the
    records page of each."""

    label: str
    first: date
    permit: int
    deny: int
    permit_href: str
    deny_href: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A directive change on the time axis: the day it falls on, and what happened."""

    day: date
    text: str


def chart(bars: Sequence[Bar], marks: Sequence[Mark], title: str, desc: str) -> str:
    """The chart as an SVG document (text, no XML declaration)."""
    with matplotlib.rc_context(cast(Any, RC)):
        figure = Figure(figsize=(9, 4.2))
        FigureCanvasSVG(figure)
        _draw(figure.add_subplot(), bars, marks)
        figure.subplots_adjust(left=0.07, right=0.99, top=0.92, bottom=0.24)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": "liaison"})
    return finish(out.getvalue(), bars, title, desc)


def _stack(axes: Axes, bars: Sequence[Bar]) -> None:
    """The bars: one collection per outcome (one artist each: far faster to lay out than a
    patch per bar), each rectangle a link."""
    permits = [Rectangle((n - 0.4, 0), 0.8, b.permit) for n, b in enumerate(bars)]
    denials = [Rectangle((n - 0.4, b.permit), 0.8, b.deny) for n, b in enumerate(bars)]
    solid = PatchCollection(permits, facecolor=PERMIT_COLOUR, edgecolor="none")
    hatched = PatchCollection(denials, facecolor=DENY_COLOUR, edgecolor="white", hatch="///")
    solid.set_urls([b.permit_href for b in bars])
    hatched.set_urls([b.deny_href for b in bars])
    axes.add_collection(solid)
    axes.add_collection(hatched)
    axes.set_xlim(-0.6, len(bars) - 0.4)
    legend = [
        Patch(facecolor=PERMIT_COLOUR, label="permitted"),
        Patch(facecolor=DENY_COLOUR, edgecolor="white", hatch="///", label="denied"),
    ]
    axes.legend(handles=legend, loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False)


def _draw(axes: Axes, bars: Sequence[Bar], marks: Sequence[Mark]) -> None:
    xs = list(range(len(bars)))
    _stack(axes, bars)
    position = {b.first: n for n, b in enumerate(bars)}
    days = sorted(position)
    top = max([b.permit + b.deny for b in bars] + [1])
    for mark in marks:
        at = max([d for d in days if d <= mark.day], default=None)
        if at is None:
            continue
        x = position[at] - 0.5
        axes.axvline(x, color=MARK_COLOUR, linestyle="--", linewidth=1)
        axes.text(
            x,
            top * 1.3,
            mark.text.replace("; ", "\n"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.6, "pad": 1},
        )
    step = max(1, len(bars) // 12)
    axes.set_xticks(xs[::step], [b.label for b in bars][::step], rotation=45, ha="right")
    axes.set_xlabel("Eastern dates (America/New_York)")
    axes.set_ylabel("decisions")
    axes.set_ylim(0, top * 1.32)


_STYLE_PROPERTY = re.compile(r"\s*([a-z-]+)\s*:\s*([^;]+?)\s*(?:;|$)")


def presentation(element: ET.Element) -> None:
    """``style="a: b; ..."`` as attributes (``font`` split into size and family)."""
    style = element.attrib.pop("style", None)
    if style is None:
        return
    for name, value in _STYLE_PROPERTY.findall(style):
        if name == "font":
            size, _, family = value.partition(" ")
            element.set("font-size", size)
            element.set("font-family", family.replace("'", "").split(",")[0] + ", sans-serif")
        else:
            element.set(name, value)


def finish(svg: str, bars: Sequence[Bar], title: str, desc: str) -> str:
    """matplotlib's SVG for a page: no styles, a ``role``, a title and description, and
    each link named."""
    root = ET.fromstring(svg)
    names = {}
    for bar in bars:
        names[bar.permit_href] = f"{bar.label}: {bar.permit:,} permitted"
        names[bar.deny_href] = f"{bar.label}: {bar.deny:,} denied"
    for parent in root.iter():
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}metadata"):
                parent.remove(child)
        presentation(parent)
        if parent.tag == f"{{{SVG_NS}}}a":
            name = names.get(parent.get(f"{{{XLINK_NS}}}href", ""), "records")
            parent.attrib.pop("target", None)  # the records open in the same tab
            parent.set("aria-label", name)
            parent.set("tabindex", "-1")  # the keyboard reaches them in the table beside
            hint = ET.Element(f"{{{SVG_NS}}}title")
            hint.text = name
            parent.insert(0, hint)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    # Not role="img": an image's content is presentational, so links inside it would be
    # hidden from assistive technology (axe: nested-interactive). ``standalone`` is an img.
    root.set("role", "graphics-document")
    root.set("aria-labelledby", "chart-title")
    root.set("aria-describedby", "chart-desc")
    for tag, text, at in (("desc", desc, 0), ("title", title, 0)):
        element = ET.Element(f"{{{SVG_NS}}}{tag}", {"id": f"chart-{tag}"})
        element.text = text
        root.insert(at, element)
    root.attrib.pop("height", None)
    root.set("width", "100%")  # scaled to the page; the viewBox keeps its proportions
    return ET.tostring(root, encoding="unicode")


def standalone(svg: str) -> str:
    """The page's SVG as a document of its own (``/charts/actions.svg``): an image."""
    head, _, rest = svg.partition('role="graphics-document"')
    return '<?xml version="1.0" encoding="utf-8"?>\n' + head + 'role="img"' + rest
