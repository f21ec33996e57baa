"""Nlets IAQ message logs (``--format nlets-iaq``): a department's message-switch log of the
Immigration Alien Queries it sent to ICE's Law Enforcement Support Center (issue 13).

The query is Nlets' legacy text format (Nlets, "Immigration Alien Transactions (IAQ/IAR)",
legacy specifications): ``IAQ.<sender ORI>.AX[.<control>].TXT`` then fields ``TAG/value``
each ended by a period: ``PUR/`` (purpose code ``C`` or ``F``), ``ATN/`` (the person making
the inquiry), ``PHN/``, ``NAM/``, ``DOB/``, ``SEX/``, ``POB/``, ``CUS/`` (in custody ``Y``
or ``N``), ``OFF/`` (NCIC offense code, ``0399`` when there is none), then optionally
``ARN/``, ``FBI/``, ``SID/``, ``OLN/``. ``CUS/N`` with ``OFF/0399`` is a status-only
inquiry: no one in custody, no offence.

The log layout read (documented in docs/audit.md, "Formats"): one message per line,

    <time> [<KEY>=<value> ...] <message>

``<time>`` ISO 8601 (with an offset, or local with ``--timezone``); ``KEY=value`` words the
switch adds (``OPR=`` the operator, ``TERM=`` the terminal, ``SEQ=`` its sequence number),
kept in ``fields``; ``|`` may separate the parts. A line that starts with a space or tab
continues the message before it (switches wrap long messages); blank lines and lines
starting with ``#`` are skipped; a message of another type (an ``IAR`` response, an
administrative message) is not a query and is skipped, counted. Tags are matched from a
known list, so a period or a slash inside a value (``ATN/DET J. SMITH``) stays in it.

Each query is the agency's own search of ``NLETS_IAQ``; ``codes`` holds the tags that are
not personal (``PUR``, ``CUS``, ``OFF``, the message key ``MKE``, ``ORI``, ``DST``);
every tag, personal ones included (``NAM``, ``DOB``, ...), is kept in ``fields``; the
reason is the free text (``ATN``, and ``RMK``/``REM`` when present).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from liaison.audit.csv_rows import TextSource
from liaison.audit.options import Source
from liaison.audit.rows import AuditRow, Provenance, RowKind, RowProblem
from liaison.audit.table import Item, peek
from liaison.audit.times import TimeReader

FORMAT = "nlets-iaq"
TAGS = (
    "PUR", "ATN", "PHN", "NAM", "DOB", "SEX", "POB", "CUS", "OFF",
    "ARN", "FBI", "SID", "OLN", "OLS", "SOC", "RMK", "REM",
)  # fmt: skip
NOT_PERSONAL = frozenset({"PUR", "CUS", "OFF"})
# A message: its key (IAQ, IAR, AM, ...) and the sender's 9-character ORI.
MESSAGE = re.compile(r"(?:^|(?<=[\s|]))([A-Z]{2,3})\.([A-Z0-9]{9})\.")
FIELD = re.compile(r"(?:^|(?<=[.\s]))(" + "|".join(TAGS) + r")/")


def looks_like_nlets(line: str) -> bool:
    """Whether a line of text reads as an Nlets IAQ log line (for detection)."""
    match = MESSAGE.search(line)
    return match is not None and match.group(1) == "IAQ" and "CUS/" in line


def nlets_rows(source: Source, text: TextSource, skipped: Counter[str]) -> Iterator[Item]:
    """The queries of an IAQ log, its first rows read now (the zone check)."""
    times = TimeReader(source.options.timezone)
    rows = _rows(source, _messages(text.lines()), times, skipped)
    return peek(source, rows, times, "time")


def _messages(lines: Iterator[str]) -> Iterator[tuple[int, str]]:
    """Logical lines: (first physical line, text), continuation lines joined."""
    start, parts = 0, list[str]()
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if text[:1] in (" ", "\t") and parts and text.strip():
            parts.append(text.strip())
            continue
        if parts:
            yield start, " ".join(parts)
        start, parts = number, [text]
    if parts:
        yield start, " ".join(parts)


def _rows(
    source: Source, messages: Iterator[tuple[int, str]], times: TimeReader, skipped: Counter[str]
) -> Iterator[Item]:
    row = 0
    for line, text in messages:
        if not text.strip() or text.lstrip().startswith("#"):
            skipped["blank or comment line"] += 1
            continue
        match = MESSAGE.search(text)
        if match is not None and match.group(1) != "IAQ":
            skipped[f"{match.group(1)} message (not a query)"] += 1
            continue
        row += 1
        if match is None:
            message = "no Nlets message on the line (expected '<time> IAQ.<ORI>.AX.TXT ...')"
            yield RowProblem(source.file, line, row, None, message)
            continue
        yield _query(source, text, match, times, row, line)


def _query(
    source: Source, text: str, match: re.Match[str], times: TimeReader, row: int, line: int
) -> AuditRow | RowProblem:
    prefix = text[: match.start()].replace("|", " ").split()
    words = dict(word.split("=", 1) for word in prefix if "=" in word)
    stamp = " ".join(word for word in prefix if "=" not in word)
    head, txt, body = text[match.end() :].partition("TXT")
    if not txt:
        return RowProblem(source.file, line, row, None, "the IAQ message has no TXT part")
    route = [part for part in head.strip().split(".") if part.strip()]
    tags = _fields(body)
    if "CUS" not in tags and "OFF" not in tags and "PUR" not in tags:
        return RowProblem(source.file, line, row, None, "the IAQ message has no PUR/CUS/OFF")
    try:
        at = times.read(stamp) if stamp else None
    except ValueError as error:
        return RowProblem(source.file, line, row, "time", str(error))
    ori = match.group(2)
    codes = {"MKE": "IAQ", "ORI": ori} | ({"DST": route[0]} if route else {})
    codes |= {tag: value for tag, value in tags.items() if tag in NOT_PERSONAL and value}
    free = [tags[tag] for tag in ("ATN", "RMK", "REM") if tags.get(tag)]
    control = route[1] if len(route) > 1 else words.get("SEQ")
    return AuditRow(
        format=FORMAT,
        provenance=Provenance(source.file, source.sha256, row, line),
        kind=RowKind.OWN_SEARCH,
        database="NLETS_IAQ",
        source_id=control or None,
        at=at,
        agency=source.options.agency or ori,
        organisation=None,
        user=words.get("OPR") or tags.get("ATN") or None,
        reason=" / ".join(free) or None,
        case_number=None,
        codes=codes,
        fields={"time": stamp, **words, **codes, **tags, "message": text.strip()},
    )


def _fields(body: str) -> dict[str, str]:
    """The ``TAG/value`` fields of a message's text, each value without its final period."""
    found = list(FIELD.finditer(body))
    tags: dict[str, str] = {}
    for here, after in zip(found, [*found[1:], None], strict=True):
        end = after.start() if after is not None else len(body)
        tags.setdefault(here.group(1), body[here.end() : end].strip().rstrip(".").strip())
    return tags
