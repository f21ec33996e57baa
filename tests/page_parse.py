"""Reading a page's HTML in the pages' tests (issue 11), with the standard library only: an
element's text and attributes by id, a table's body rows (each cell's text and links),
the links of a page by ``rel``, a form's controls and their values."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"br", "input", "img", "meta", "link", "hr", "wbr", "source", "col"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str) -> list[Element]:
        found = []
        for child in self.children:
            if child.tag == tag:
                found.append(child)
            found.extend(child.find_all(tag))
        return found

    def links(self) -> list[str]:
        return [a.attrs["href"] for a in self.find_all("a") if "href" in a.attrs]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.open: list[Element] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self.open) - 1, 0, -1):
            if self.open[n].tag == tag:
                del self.open[n:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def parse(html: str) -> Element:
    tree = _Tree()
    tree.feed(html)
    return tree.root


def by_id(root: Element, ident: str) -> Element:
    """The one element of ``ident`` (AssertionError when none or several)."""
    found = [e for e in _walk(root) if e.attrs.get("id") == ident]
    assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
    return found[0]


def by_rel(root: Element, rel: str) -> list[str]:
    return [a.attrs["href"] for a in root.find_all("a") if a.attrs.get("rel") == rel]


def table_rows(root: Element, ident: str) -> list[list[Element]]:
    """The body rows of table ``ident``, each a list of its cells."""
    table = by_id(root, ident)
    return [row.find_all("td") for body in table.find_all("tbody") for row in body.find_all("tr")]


def words(text: str) -> str:
    """``text`` with its white space folded."""
    return " ".join(text.split())


def form_values(root: Element) -> dict[str, str]:
    """Each named control's value: an input's ``value``, a select's selected option's."""
    values = {}
    for control in root.find_all("input"):
        if "name" in control.attrs:
            values[control.attrs["name"]] = control.attrs.get("value", "")
    for select in root.find_all("select"):
        chosen = [o for o in select.find_all("option") if "selected" in o.attrs]
        values[select.attrs["name"]] = chosen[0].attrs["value"] if chosen else ""
    return values


def _walk(element: Element) -> list[Element]:
    out = [element]
    for child in element.children:
        out.extend(_walk(child))
    return out


def definitions(root: Element) -> dict[str, str]:
    """A description list's terms and their descriptions (white space folded)."""
    found: dict[str, str] = {}
    term = None
    for element in _walk(root):
        if element.tag == "dt":
            term = words(element.text)
        elif element.tag == "dd" and term is not None:
            found[term] = words(element.text)
    return found
