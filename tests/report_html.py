"""Reading the rendered report back in tests: the body rows of its tables and the alt texts of
its figures (stdlib HTML parser; no statistics, just what a reader sees)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.alts: dict[str, str] = {}
        self.headings: list[tuple[str, str | None, str]] = []  # (tag, id of it or its section, text)
        self.captions: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text) of links inside the page
        self.tabsets: list[list[str]] = []  # the tab headings of every div.tabbladen
        self.scripts: list[str] = []  # src of every script (external) or "inline"
        self._text: list[str] | None = None  # text being collected for a heading, caption or link
        self._collect: tuple | None = None
        self._tabset_depth: list[int] = []
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
        if tag == "script":
            self.scripts.append(a.get("src") or "inline")
        if tag == "div" and "tabbladen" in (a.get("class") or "").split():
            self.tabsets.append([])
            self._tabset_depth.append(len(self._stack))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._start_text(("heading", tag, a.get("id") or (self._stack[-1] if self._stack else None),
                              len(self._stack)))
        elif tag == "figcaption":
            self._start_text(("caption",))
        elif tag == "a" and (a.get("href") or "").startswith("#") and self._collect is None:
            self._start_text(("link", a["href"]))
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

    def _start_text(self, what: tuple) -> None:
        self._collect, self._text = what, []

    def _end_text(self) -> str:
        text = " ".join("".join(self._text or []).split())
        self._collect = self._text = None
        return text

    def handle_endtag(self, tag):
        if tag in ("img", "br", "meta", "link", "input", "col", "hr"):
            return
        if self._stack:
            self._stack.pop()
        if self._collect and self._collect[0] == "heading" and tag == self._collect[1]:
            _, name, ident, depth = self._collect
            text = self._end_text()
            self.headings.append((name, ident, text))
            if self._tabset_depth and depth == self._tabset_depth[-1] + 2:  # div.tabbladen > section > h3
                self.tabsets[-1].append(text)
        elif self._collect and self._collect[0] == "caption" and tag == "figcaption":
            self.captions.append(self._end_text())
        elif self._collect and self._collect[0] == "link" and tag == "a":
            href = self._collect[1]
            self.links.append((href, self._end_text()))
        if tag == "div" and self._tabset_depth and len(self._stack) == self._tabset_depth[-1]:
            self._tabset_depth.pop()
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
        if self._text is not None:
            self._text.append(data)


def read_report(html: str) -> _Reader:
    """Tables by the id of their nearest enclosing element (great_tables' ``id``), as rows of
    cell texts (header rows included, group-heading and footnote rows left out); figure alt
    texts by the id of the enclosing figure; headings with their ids, captions, internal links,
    the tabs of every tabset and the page's scripts, in document order."""
    reader = _Reader()
    reader.feed(html)
    return reader
