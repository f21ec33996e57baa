"""The directives' timeline drawn on the server (issue 11, item 1; docs/pages.md,
"Directives: `/directives`, `/directives/{id}`"): one SVG per view, a row per directive
in force at some time of the window, a bar for each interval it was in force, months
marked on the axis. No script; each bar carries its dates as a ``<title>``, and the tables
beside it say the same in words (nothing is told by colour alone).

The window is the ``BEFORE`` days before the pack's last change to ``AFTER`` days after it:
the directives' recent history, where the views part. Colours are the site's (site.css):
the SVG's presentation attributes, since the pages' Content-Security-Policy allows no
inline style."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo

from markupsafe import Markup

from liaison.web.formatting import local_text

BEFORE, AFTER = timedelta(days=90), timedelta(days=30)
WIDTH, LABEL, ROW, TOP = 760, 200, 22, 28
Spans = Sequence[Mapping[str, str | None]]


def window(last_change: datetime) -> tuple[datetime, datetime]:
    return last_change - BEFORE, last_change + AFTER


def svg(
    view: str, in_force: Mapping[str, Spans], span: tuple[datetime, datetime], zone: tzinfo
) -> Markup:
    """The SVG of ``in_force`` (``{directive: [{from, until}]}``) over ``span``."""
    start, end = span
    rows = [(d, _clip(spans, start, end, str(zone))) for d, spans in in_force.items()]
    rows = [(d, bars) for d, bars in rows if bars]
    height = TOP + ROW * len(rows) + 8
    scale = (WIDTH - LABEL - 10) / (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return round(LABEL + (moment - start).total_seconds() * scale, 1)

    ident = f"timeline-svg-{view}"
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
            'height="{h}" role="img" aria-labelledby="{i}-title">'
            '<title id="{i}-title">When each directive was in force under the view {v}, '
            "{a} to {b}</title>"
        ).format(w=WIDTH, h=height, i=ident, v=view, a=_day(start, zone), b=_day(end, zone))
    ]
    for month in _months(start, end, zone):
        parts.append(
            Markup(
                '<line x1="{x}" x2="{x}" y1="{t}" y2="{h}" stroke="#c8c8c8"/>'
                '<text x="{x}" y="{y}" font-size="12" fill="#4a4a4a" text-anchor="middle">'
                "{m}</text>"
            ).format(x=x(month), t=TOP - 8, h=height, y=TOP - 12, m=f"{month:%b %Y}")
        )
    for n, (directive, bars) in enumerate(rows):
        y = TOP + n * ROW
        parts.append(
            Markup('<text x="0" y="{y}" font-size="13" fill="#1b1b1b">{d}</text>').format(
                y=y + 15, d=directive
            )
        )
        for a, b, text in bars:
            parts.append(
                Markup(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#12436d">'
                    "<title>{d}: {t}</title></rect>"
                ).format(x=x(a), y=y + 4, w=max(x(b) - x(a), 2), h=ROW - 8, d=directive, t=text)
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _clip(
    spans: Spans, start: datetime, end: datetime, zone: str
) -> list[tuple[datetime, datetime, str]]:
    out = []
    for span in spans:
        a = datetime.fromisoformat(span["from"]) if span["from"] else start
        b = datetime.fromisoformat(span["until"]) if span["until"] else end
        if b > start and a < end:
            until = f"until {local_text(b, zone)}" if span["until"] else "onwards"
            shown = f"in force from {local_text(a, zone)} {until}"
            out.append((max(a, start), min(b, end), shown))
    return out


def _months(start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    local = start.astimezone(zone)
    month = date(local.year, local.month, 1)
    out: list[datetime] = []
    while True:
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        moment = datetime(month.year, month.month, 1, tzinfo=zone)
        if moment >= end:
            return out
        out.append(moment)


def _day(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%d %B %Y}"
