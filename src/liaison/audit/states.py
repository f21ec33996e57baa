"""The state an organisation's name places it in: a two-letter postal code written in
capitals ("Houston TX PD", "Dallas Police Department (TX)") or a state's full name
("Texas Department of Public Safety"), the 50 states and D.C. (docs/audit.md,
"Organisations").

A name that places no state, or two different ones, places none: a state or local agency
is never assumed to be of the home state (request-schema.md, ``recipient.jurisdiction``).
A word that is a state's name but names a place in it ("Kansas City", "Washington
County", "Indiana PD", a borough in Pennsylvania) places nothing; "Washington D.C." is D.C.
"""

from __future__ import annotations

import re

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
_BY_NAME = {name.lower(): code for code, name in STATES.items()}
_BY_NAME.update({"washington dc": "DC", "washington d c": "DC", "d c": "DC"})

# Words after a state's name that make it a place's name ("Kansas City", "Indiana PD").
_PLACE_WORDS = (
    "county|city|township|twp|borough|boro|parish|village|town|pd|police|so|sheriff|sheriffs"
    "|heights|junction|hills|park|municipal|co"
)
_NAMES = "|".join(sorted((re.escape(n).replace(r"\ ", r"\W+") for n in _BY_NAME), key=len)[::-1])
_FULL = re.compile(rf"(?<!\w)({_NAMES})(?!\w)", re.IGNORECASE)
_OF_BEFORE = re.compile(r"(?:university|state|commonwealth)\W+of\W+$", re.IGNORECASE)
_PLACE_AFTER = re.compile(rf"\W+(?:{_PLACE_WORDS})(?!\w)", re.IGNORECASE)
# A code before these words is a place's abbreviation ("LA County" is Los Angeles).
_CODE = re.compile(r"(?<![\w.])([A-Z]{2})(?![\w])(?!\W+(?:County|COUNTY|City|CITY|Twp|Township)\b)")
_STRONG = re.compile(r"\(\s*([A-Za-z .]+?)\s*\)|,\s*([A-Za-z .]+?)\s*$")
_SHERIFF_AFTER = re.compile(r"\W+(?:SO|S\.O\.|Sheriff|SHERIFF)\b")


def state_code(text: str | None) -> str | None:
    """The two-letter code of ``text`` (a code, any case, or a state's full name), or None."""
    if text is None:
        return None
    key = re.sub(r"\W+", " ", text).strip()
    if key.upper() in STATES:
        return key.upper()
    return _BY_NAME.get(key.lower())


def place(name: str) -> str | None:
    """The state the organisation's ``name`` places it in, or None when it places none or
    more than one. A state in parentheses or after a final comma wins over the rest."""
    for match in _STRONG.finditer(name):
        strong = state_code(match.group(1) or match.group(2))
        if strong is not None:
            return strong
    found = set(_codes(name)) or set(_full_names(name))
    return found.pop() if len(found) == 1 else None


def _full_names(name: str) -> list[str]:
    """The states whose full names ``name`` writes, but not as part of a place's name."""
    out: list[str] = []
    for match in _FULL.finditer(name):
        code = _BY_NAME[re.sub(r"\W+", " ", match.group(1)).lower()]
        of_state = _OF_BEFORE.search(name, 0, match.start()) is not None
        if code == "DC" or of_state or not _PLACE_AFTER.match(name, match.end()):
            out.append(code)
    return out


def _codes(name: str) -> list[str]:
    """The two-letter state codes written in capitals in ``name``. "CO" before a sheriff's
    office in a name without "County" is read as "County" ("Linn CO SO"), not Colorado."""
    out: list[str] = []
    for match in _CODE.finditer(name):
        code = match.group(1)
        if code not in STATES:
            continue
        county_word = re.search(r"county", name, re.IGNORECASE) is not None
        if code == "CO" and not county_word and _SHERIFF_AFTER.match(name, match.end()):
            continue
        out.append(code)
    return out
