"""Reading the rendered report back in tests: the body rows of its tables and the alt texts of
its figures (stdlib HTML parser; no statistics, just what a reader sees)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.alts: dict[str, str] = {}
        self._stack: list[str | None] = []  # id of each open element that has one
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._heading_row = False
        self._in_foot = False

    def _owner(self) -> str | None:
        return next((i for i in reversed(self._stack) if i), None)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("img", "br", "meta", "link", "input", "col", "hr"):
            if tag == "img" and self._owner():
                self.alts[self._owner()] = a.get("alt") or ""
            return
        self._stack.append(a.get("id"))
        if tag == "table" and self._table is None:
            self._table = self._owner()
            self.tables.setdefault(self._table, [])
        elif tag == "tfoot":
            self._in_foot = True
        elif tag == "tr" and self._table is not None and not self._in_foot:
            self._row, self._heading_row = [], "gt_group_heading_row" in (a.get("class") or "")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("img", "br", "meta", "link", "input", "col", "hr"):
            return
        if self._stack:
            self._stack.pop()
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row and not self._heading_row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tfoot":
            self._in_foot = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_report(html: str) -> _Reader:
    """Tables by the id of their nearest enclosing element (great_tables' ``id``), as rows of
    cell texts (header rows included, group-heading and footnote rows left out); figure alt texts by the id
    of the enclosing ``<figure>``."""
    reader = _Reader()
    reader.feed(html)
    return reader
