"""Rendering the Quarto report: with the ``quarto`` CLI where it is on the PATH, else the fallback.

Both renderers read the same ``.qmd`` documents and give the same page (same headings,
tables, figures, alt texts, tabs and layout; tested where Quarto is installed).

**Quarto** (``render_with_quarto``; 1.4 or newer, tested with 1.11.0): the report's folder is rendered in
a temporary copy, with the pipeline's own Python (``QUARTO_PYTHON``), the wave passed with
``-P`` (papermill), no kernel daemon and no colour codes; a failure shows the failing cell and
its error, or Quarto's message without its call stack; warnings are returned, never swallowed.

**The fallback** (``render_fallback``) expands ``{{< include >}}``, executes the Python cells in
a Jupyter kernel (nbclient) with the wave's parameters injected after the ``parameters`` cell,
and converts the result with pandoc (from ``pypandoc-binary``) into one self-contained HTML
file, writing figures and tables with Quarto's markup. It supports the Quarto features the
report uses, and the report keeps to them:

- front matter ``title``, ``subtitle``, ``lang`` and ``format.html`` ``toc`` (``toc-depth``,
  ``toc-title``), ``css``, ``section-divs`` and ``include-after-body``; under Quarto,
  ``minimal: true`` and ``toc-location: body`` give the same plain page (no Bootstrap, no
  Quarto scripts) that ``reports/style.css`` styles;
- cell options ``#| label``, ``#| fig-cap``, ``#| tbl-cap``, ``#| fig-alt``, ``#| echo``,
  ``#| output`` (``false`` or ``asis``) and ``#| tags: [parameters]``;
- figure and table captions numbered "Figuur n" / "Tabel n", cross-references ``@fig-…`` /
  ``@tbl-…``; a reference that points at nothing is an error on both paths. Sections are linked
  as ``[title](#sec-…)``: ``@sec-…`` is refused, as Quarto writes it as a section number;
- figures and tables written as Markdown, also from ``output: asis`` cells (this is how the
  report gives every figure an alt text generated from the data it shows):
  ``![caption](src){#fig-x fig-alt="…"}`` and a fenced div ``::: {#tbl-x}`` whose last
  paragraph is the caption;
- tabs: ``::: {.tabbladen}`` with one heading per tab, a class neither renderer knows, so both
  write each tab as a headed section; ``reports/_tabsets.html`` (included after the body on
  both paths) turns them into WAI-ARIA tabs, and without script or in print every tab shows as
  a subsection;
- cell outputs: PNG images, Markdown (text built from the numbers, tables as raw HTML blocks)
  and printed text. A rich HTML output is refused: under Quarto it makes the page link
  require.js and jQuery from the web.

Anything else in a ``.qmd`` is passed to pandoc as Markdown.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from rapportage.config import Wave
from rapportage.errors import PipelineError, shown
from rapportage.stages import children

MAIN_DOCUMENT = "reports/rapportage.qmd"
CELL = re.compile(r"^```\{python\}[^\n]*\n(.*?)^```\s*$", re.S | re.M)
INCLUDE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}[ \t]*$", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RAW_BLOCK = re.compile(r"^(`{3,})\{=html\}\n.*?\n\1[ \t]*$", re.S | re.M)
CROSSREF = re.compile(r"(?<![\\\w])@((?:fig|tbl|sec)-[A-Za-z0-9_-]+)")  # not an escaped \@, not in an e-mail address
# a Markdown figure with an id, and a fenced div that makes its content a captioned table
QUOTED = r'"(?:[^"\\]|\\.)*"'
ATTRS = rf'(?:[^}}"]|{QUOTED})*'  # attributes; a quoted value may hold any character
MD_FIGURE = re.compile(rf"!\[(?P<caption>(?:[^\]\\]|\\.)*)\]\((?P<src>[^)\s]+)\)\{{(?P<attrs>{ATTRS}#fig-{ATTRS})\}}")
MD_TABLE = re.compile(r"^:::+ *\{#(?P<label>tbl-[A-Za-z0-9_-]+)\} *\n(?P<body>.*?)\n:::+ *$", re.S | re.M)
FLOAT = re.compile(f"{MD_FIGURE.pattern}|{MD_TABLE.pattern}", re.S | re.M)
EXECUTION_TIMEOUT = 600
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""The report's kernel computes with one BLAS thread, as the stages do (benchmarks/bench_threads.py)."""


def source_files(root: Path) -> list[Path]:
    """Everything the report is made from (inputs of the render stage's manifest)."""
    reports = root / "reports"
    files = [root / "_quarto.yml"]
    for pattern in ("*.qmd", "*.py", "*.css", "_*.html"):
        files += sorted(reports.glob(pattern))
    return files


@dataclass(frozen=True)
class Rendered:
    """A rendered report: the self-contained HTML, which renderer made it, and the warnings
    Quarto or pandoc printed (shown to the user, never swallowed)."""

    html: bytes
    renderer: str
    warnings: tuple[str, ...] = ()


def render_report(wave: Wave) -> Rendered:
    """Render the report of ``wave``: with the ``quarto`` CLI where it is on the PATH, else with
    the fallback. Both read the same documents and give the same page."""
    params = {"wave": wave.id, "root": str(wave.root.resolve())}
    metadata = report_metadata(wave)
    document = wave.root / MAIN_DOCUMENT
    quarto = shutil.which("quarto")
    if quarto:  # the colophon names what made the page
        version = _check_quarto_version(quarto)
        return render_with_quarto(document, {**params, "renderer": f"Quarto {version}"}, quarto, version=version,
                                  metadata=metadata)
    import pypandoc

    params["renderer"] = f"pandoc {pypandoc.get_pandoc_version()}, zonder Quarto"
    return render_fallback(document, params, metadata)


def report_metadata(wave: Wave) -> dict[str, str]:
    """What configuration sets in the page's metadata: its ``<title>`` and heading are the wave's
    own title (``wave.yaml`` ``title``, with its year), not the document's generic one."""
    return {"title": wave.config.title}


def metadata_markdown(metadata: dict[str, str]) -> dict[str, str]:
    """Document metadata from configuration (the title) as Markdown strings: Quarto and pandoc
    read metadata as Markdown, so each is escaped as plain text, and ``{{`` is broken as in a
    figure's alt text, because Quarto expands a shortcode in metadata whatever its escaping."""
    from rapportage.report.markup import ZWSP, md

    return {k: md(v).replace("\\{\\{", "\\{" + ZWSP + "\\{").replace("\\}\\}", "\\}" + ZWSP + "\\}")
            for k, v in metadata.items()}


def metadata_file(folder: Path, metadata: dict[str, str]) -> Path:
    """:func:`metadata_markdown` as a YAML file for pandoc's ``--metadata-file`` (the fallback)."""
    path = folder / "metadata.yml"
    path.write_text(yaml.safe_dump(metadata_markdown(metadata), allow_unicode=True), encoding="utf-8")
    return path


def with_front_matter(text: str, metadata: dict[str, str]) -> str:
    """The document with each key of ``metadata`` set in its YAML front matter (Quarto path)."""
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if match is None:
        raise PipelineError(f"{MAIN_DOCUMENT} has no YAML front matter to put the title in.")
    lines = [ln for ln in match.group(1).splitlines() if ln.split(":", 1)[0].strip() not in metadata]
    for key, value in metadata_markdown(metadata).items():
        lines.insert(0, yaml.safe_dump({key: value}, allow_unicode=True, width=10_000).strip())
    return "---\n" + "\n".join(lines) + "\n---\n" + text[match.end():]


# --------------------------------------------------------------------------- quarto
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
QUARTO_PROGRESS = re.compile(r"^(Starting \S+ kernel|Executing '|\s*Cell \d+/\d+|pandoc\b|\s+(to|output-file|"
                             r"standalone|embed-resources|toc|toc-depth|section-divs|html-math-method|wrap|default-image-extension|"
                             r"metadata|filters|include-\w+|css|template|toc-title|lang|title|subtitle|page-layout|"
                             r"minimal|theme|link-citations|number-sections|execute)\b|Output created:|\s*$)")


def render_with_quarto(document: Path, params: dict[str, str], quarto: str = "quarto",
                       version: str | None = None, metadata: dict[str, str] | None = None) -> Rendered:
    """Render ``document`` with the Quarto CLI.

    The report's folder is copied to a temporary directory and rendered there, so a render
    changes nothing in the working tree (Quarto writes ``.quarto/`` and a ``.quarto_ipynb``
    beside the document) and two waves can render at once. Quarto runs the cells with the
    Python that runs this pipeline (``QUARTO_PYTHON``), without a kernel daemon (a daemon would
    keep an old ``figures`` module between renders) and without colour codes in its messages.
    Quarto's random ids (caption ids are uuids) are numbered in order of appearance, so the
    same inputs give the same bytes.
    """
    if version is None:  # (render_report has checked it already)
        _check_quarto_version(quarto)
    with children.scratch_dir() as tmp:  # removed, and Quarto stopped, on every exit path (see rapportage.stages.children)
        work = tmp / document.parent.name
        shutil.copytree(document.parent, work, ignore=shutil.ignore_patterns(  # not outputs of earlier renders
            "_output", ".quarto", "*.quarto_ipynb", "__pycache__", f"{document.stem}_files", f"{document.stem}.html"))
        if metadata:  # into the copy's front matter: Quarto takes a document's own metadata over any other
            copy = work / document.name
            copy.write_text(with_front_matter(copy.read_text(encoding="utf-8"), metadata), encoding="utf-8")
        cmd = [quarto, "render", document.name, "--to", "html", "--no-execute-daemon"]
        for key, value in params.items():  # Quarto reads a value as YAML: quoted, wave 2026 stays the text "2026"
            cmd += ["-P", f"{key}:'{str(value).replace(chr(39), chr(39) * 2)}'"]
        env = {**os.environ, "QUARTO_PYTHON": sys.executable, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1",
               **ONE_BLAS_THREAD}
        try:
            proc = children.run(cmd, cwd=work, env=env, timeout=EXECUTION_TIMEOUT * 2, scratch=tmp)
        except subprocess.TimeoutExpired:
            raise PipelineError(f"quarto render of {shown(document)} did not finish within "
                                f"{EXECUTION_TIMEOUT * 2} seconds.") from None
        messages = ANSI.sub("", proc.stderr + proc.stdout)
        out = work / (document.stem + ".html")
        if proc.returncode != 0 or not out.is_file():
            raise PipelineError(f"quarto render of {shown(document)} failed (exit code {proc.returncode}):\n"
                                + quarto_failure(messages))
        warnings = quarto_warnings(messages)
        for warning in warnings:  # the fallback refuses these too: "?@fig-x" must not reach the public
            dangling = re.search(r"Unable to resolve crossref @(\S+)", warning)
            if dangling:
                raise PipelineError(f"{shown(document)}: cross-reference @{dangling.group(1)} points at no figure, "
                                    "table or section.")
        page = with_content_security_policy(with_table_captions(with_main_landmark(stable_ids(out.read_bytes()))), own_scripts(document))
        return Rendered(page, "quarto", tuple(warnings))


QUARTO_MINIMUM = (1, 4)  # figure and table markup of Quarto 1.4 and later, which the fallback writes too


def _check_quarto_version(quarto: str) -> str:
    """The version of the Quarto CLI at ``quarto``; an error when it does not run or is too old."""
    try:
        proc = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PipelineError(f"the quarto on the PATH ({quarto}) does not run ({exc}); repair it, or take it off "
                            "the PATH to render with the built-in fallback.") from None
    found = re.match(r"\s*(\d+)\.(\d+)", proc.stdout)
    if proc.returncode != 0 or not found:
        raise PipelineError(f"'{quarto} --version' failed (exit code {proc.returncode}); repair Quarto, or take it "
                            "off the PATH to render with the built-in fallback.")
    if tuple(map(int, found.groups())) < QUARTO_MINIMUM:
        raise PipelineError(f"the quarto on the PATH is version {proc.stdout.strip()}; the report needs Quarto "
                            f"{'.'.join(map(str, QUARTO_MINIMUM))} or newer: update it, or take it off the PATH to "
                            "render with the built-in fallback.")
    return proc.stdout.strip()


def quarto_failure(messages: str) -> str:
    """The cause of a failed Quarto render as one readable block: the failing cell and its
    error when a cell failed, else Quarto's messages without the progress lines."""
    cell = re.search(r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+\n", messages, re.S)
    if cell:
        lines = [ln for ln in messages[cell.end():].splitlines() if ln.strip()]
        errors = [ln for ln in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b", ln)]
        cause = errors[-1] if errors else (lines[-1] if lines else "(no error message)")
        return "  in the cell:\n" + _indent(cell.group(1).strip(), 4) + "\n  " + cause
    kept: list[str] = []
    for line in messages.splitlines():
        if line.strip() == "Stack trace:" or (kept and kept[-1] == "Stack trace:" and line.lstrip().startswith("at ")):
            kept[-1:] = ["Stack trace:"]  # Quarto's own call stack says nothing about the cause
            continue
        if not QUARTO_PROGRESS.match(line):
            kept.append(line.rstrip())
    kept = [ln for ln in kept if ln != "Stack trace:"]
    return _indent("\n".join(kept[-40:]).strip() or "(Quarto printed no message)", 2)


def quarto_warnings(messages: str) -> list[str]:
    """Quarto's ``WARN``/``WARNING`` lines and pandoc's ``[WARNING]`` lines, each with the
    indented lines that continue it."""
    found: list[str] = []
    for line in messages.splitlines():
        if re.match(r"^\s*(WARN(ING)?\b|\[WARNING\])", line):
            # "WARNING (/…/filters/crossref/refs.lua:128) Unable to …": the filter's location is Quarto's business
            found.append(re.sub(r"^(WARN(?:ING)?) \([^)]*\.lua:\d+\) ", r"\1: ", line.strip()))
        elif found and line.startswith((" ", "\t")) and line.strip() and not QUARTO_PROGRESS.match(line):
            found[-1] += " " + line.strip()
    return found


def stable_ids(page: bytes) -> bytes:
    """Quarto's random ids made stable, so that the same inputs give the same bytes: a
    caption's ``<label>-caption-<uuid>`` becomes ``<label>-caption`` (as the fallback writes
    it), the random id of a cell's ``<div>`` (never referred to) is dropped, and any other uuid
    is numbered in order of first appearance."""
    text = page.decode("utf-8")
    text = re.sub(rf"([A-Za-z0-9_-]+-caption)-{UUID.pattern}", r"\1", text)
    text = re.sub(r'<div id="[0-9a-f]{8}" class="cell"', '<div class="cell"', text)
    numbers: dict[str, str] = {}

    def number(m: re.Match) -> str:
        return numbers.setdefault(m.group(0), f"id{len(numbers) + 1:04d}")

    return UUID.sub(number, text).encode("utf-8")


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)


def own_scripts(document: Path) -> list[str]:
    """The scripts the report itself includes (``include-after-body`` and the like in its front
    matter): the only scripts its page may run."""
    meta, _ = split_front_matter(document.read_text(encoding="utf-8"))
    html_opts = ((meta.get("format") or {}).get("html") or {}) if isinstance(meta.get("format"), dict) else {}
    scripts = []
    for option in ("include-in-header", "include-before-body", "include-after-body"):
        files = html_opts.get(option) or []
        for name in [files] if isinstance(files, str) else files:
            path = document.parent / name
            if path.is_file():
                scripts += [body.strip() for attrs, body in SCRIPT.findall(path.read_text(encoding="utf-8"))
                            if "src=" not in attrs]
    return scripts


def with_content_security_policy(page: bytes, allowed: list[str]) -> bytes:
    """Add a Content-Security-Policy ``<meta>`` as the first element of ``<head>``: no script but
    the report's own inline ones (by hash, so a script that got into the page some other way does
    not run, nor does a ``javascript:`` link or an event handler), no source other than ``data:``,
    no form, no base URL. Styles may be inline (great_tables and pandoc write them so)."""
    text = page.decode("utf-8")
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
                     for attrs, body in SCRIPT.findall(text) if "src=" not in attrs and body.strip() in allowed})
    policy = ("default-src 'none'; script-src " + (" ".join(hashes) or "'none'") + "; style-src 'unsafe-inline'; "
              "img-src data:; font-src data:; base-uri 'none'; form-action 'none'")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    head = re.search(r"<head[^>]*>", text)
    if head is None:
        raise PipelineError("the rendered report has no <head> to put its security policy in.")
    return (text[: head.end()] + "\n" + meta + text[head.end():]).encode("utf-8")


def with_main_landmark(page: bytes) -> bytes:
    """Wrap what follows the title block in ``<main>`` (WCAG 1.3.1, 2.4.1): the page then has a
    banner (the title), and all its content in the main landmark that screen readers jump to.
    Neither renderer writes one with ``minimal: true``."""
    text = page.decode("utf-8")
    if "<main" in text:
        return page
    body = re.search(r"<body[^>]*>", text)
    end = text.rfind("</body>")
    if body is None or end < 0:
        raise PipelineError("the rendered report has no <body> to put its content in a main landmark.")
    header = re.search(r"</header>", text[body.end():end])
    start = body.end() + (header.end() if header else 0)
    return (text[:start] + '\n<main id="inhoud">' + text[start:end] + "</main>\n" + text[end:]).encode("utf-8")


TABLE_FIGURE = re.compile(r'<figure class="quarto-float quarto-float-tbl[^"]*"[^>]*>.*?</figure>', re.S)


def with_table_captions(page: bytes) -> bytes:
    """Give every numbered table its caption as a ``<caption>`` (WCAG 1.3.1): both renderers
    write it as the ``<figcaption>`` of a figure around the table, which a screen reader does not
    announce with the table. The ``<caption>`` is for screen readers (visually hidden); the visible
    figcaption is hidden from them, so the caption is read once, with its table."""
    def one(match: re.Match) -> str:
        block = match.group(0)
        caption = re.search(r"<figcaption([^>]*)>(.*?)</figcaption>", block, re.S)
        table = re.search(r"<table[^>]*>", block)
        if caption is None or table is None or "<caption" in block:
            return block
        block = (block[:table.end()] + f'\n<caption class="visually-hidden">{caption.group(2).strip()}</caption>'
                 + block[table.end():])
        return block.replace(f"<figcaption{caption.group(1)}>", f'<figcaption{caption.group(1)} aria-hidden="true">', 1)

    return TABLE_FIGURE.sub(one, page.decode("utf-8")).encode("utf-8")


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + ln if ln else ln for ln in text.splitlines())


# --------------------------------------------------------------------------- fallback
def split_front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---\n"):
        end = text.index("\n---", 4)
        return yaml.safe_load(text[4:end]) or {}, text[end + 4 :].lstrip("\n")
    return {}, text


def expand_includes(text: str, folder: Path) -> str:
    """Replace ``{{< include file >}}`` lines by the file's content (recursively)."""

    def sub(match: re.Match) -> str:
        path = folder / match.group(1)
        if not path.is_file():
            raise PipelineError(f"{folder}: include {match.group(1)!r} does not exist.")
        return expand_includes(path.read_text(encoding="utf-8"), path.parent).removesuffix("\n")

    return INCLUDE.sub(sub, text)


def cell_options(source: str) -> tuple[dict, str]:
    """Split Quarto ``#|`` option lines from the code of a cell."""
    lines = source.splitlines()
    opts = [ln[3:] for ln in lines if ln.startswith("#| ")]
    code = "\n".join(ln for ln in lines if not ln.startswith("#|"))
    return (yaml.safe_load("\n".join(opts)) or {}) if opts else {}, code


def to_notebook(body: str, params: dict[str, str]) -> tuple[nbformat.NotebookNode, list[dict]]:
    """Markdown and code cells in document order; parameters injected after the
    ``parameters`` cell (as Quarto and papermill do)."""
    nb = nbformat.v4.new_notebook()
    options: list[dict] = []
    pos = 0
    for match in CELL.finditer(body):
        md = body[pos : match.start()]
        if md.strip():
            nb.cells.append(nbformat.v4.new_markdown_cell(md))
            options.append({})
        opts, code = cell_options(match.group(1))
        nb.cells.append(nbformat.v4.new_code_cell(code))
        options.append(opts)
        if "parameters" in (opts.get("tags") or []):
            injected = "\n".join(f"{k} = {v!r}" for k, v in params.items())
            nb.cells.append(nbformat.v4.new_code_cell(injected))
            options.append({"echo": False, "output": False})
        pos = match.end()
    if body[pos:].strip():
        nb.cells.append(nbformat.v4.new_markdown_cell(body[pos:]))
        options.append({})
    return nb, options


def _raw(markup: str) -> str:
    """A raw HTML block that pandoc passes through untouched (blank lines and all)."""
    return f"```{{=html}}\n{markup}\n```"


WORDS = {"fig": "Figuur", "tbl": "Tabel"}


class Floats:
    """Numbers figures and tables in document order ("Figuur 3", "Tabel 2") and remembers the
    numbers for cross-references."""

    def __init__(self) -> None:
        self.counters = {"fig": 0, "tbl": 0}
        self.numbers: dict[str, str] = {}

    def number(self, label: str) -> str:
        kind = label.split("-")[0]
        if label in self.numbers:
            raise PipelineError(f"{MAIN_DOCUMENT}: the label {label} is used twice.")
        self.counters[kind] += 1
        self.numbers[label] = f"{WORDS[kind]}\u00a0{self.counters[kind]}"  # no line break inside, as Quarto
        return self.numbers[label]

    # The markup Quarto writes for a captioned figure or table (Quarto 1.4 and later), so that
    # both renderers give the same page and reports/style.css styles one structure.
    def figure(self, label: str, images: list[str], caption: str) -> list[str]:
        cap = html.escape(f"{self.number(label)}: {caption}")
        return [_raw(f'<div id="{label}" class="quarto-float quarto-figure quarto-figure-center">\n'
                     f'<figure class="quarto-float quarto-float-fig">\n<div aria-describedby="{label}-caption">'),
                *images,
                _raw(f'</div>\n<figcaption class="quarto-float-caption-bottom quarto-float-caption quarto-float-fig" '
                     f'id="{label}-caption">\n{cap}\n</figcaption>\n</figure>\n</div>')]

    def table(self, label: str, content: list[str], caption: str) -> list[str]:
        cap = html.escape(f"{self.number(label)}: {caption}")
        return [_raw(f'<div id="{label}" class="quarto-float quarto-figure quarto-figure-center">\n'
                     f'<figure class="quarto-float quarto-float-tbl">\n'
                     f'<figcaption class="quarto-float-caption-top quarto-float-caption quarto-float-tbl" '
                     f'id="{label}-caption">\n{cap}\n</figcaption>\n<div aria-describedby="{label}-caption">'),
                *content, _raw("</div>\n</figure>\n</div>")]

    def in_markdown(self, text: str) -> str:
        """Number the Markdown figures and tables of ``text`` (see the module docstring)."""

        def sub(m: re.Match) -> str:
            if m.group("src"):
                attrs = m.group("attrs")
                found = re.search(r"#(fig-[A-Za-z0-9_-]+)", re.sub(QUOTED, '""', attrs))
                assert found is not None  # MD_FIGURE matches only attributes with a #fig- label
                label = found.group(1)
                alt = re.search(r'fig-alt="((?:[^"\\]|\\.)*)"', attrs)
                caption = re.sub(r"\\(.)", r"\1", m.group("caption"))
                alt_text = re.sub(r"\\(.)", r"\1", alt.group(1)) if alt else caption
                img = _raw(f'<img src="{m.group("src")}" alt="{html.escape(alt_text, quote=True)}">')
                return "\n\n".join(self.figure(label, [img], caption))
            body = m.group("body").rstrip()
            content, _, caption = body.rpartition("\n\n")
            if not content.strip():
                raise PipelineError(f"{MAIN_DOCUMENT}: table {m.group('label')} needs its caption as the last "
                                    "paragraph of its ::: div, after a blank line.")
            return "\n\n".join(self.table(m.group("label"), [content], caption.strip()))

        return FLOAT.sub(sub, text)


def to_markdown(nb: nbformat.NotebookNode, options: list[dict], echo_default: bool) -> str:
    """Pandoc Markdown of an executed notebook, with numbered captions and cross-references."""
    parts: list[str] = []
    floats = Floats()
    for cell, opts in zip(nb.cells, options):
        if cell.cell_type == "markdown":
            parts.append(floats.in_markdown(cell.source))
            continue
        if opts.get("echo", echo_default) and cell.source.strip():
            parts.append(f"```python\n{cell.source}\n```")
        if opts.get("output") is False:
            continue
        cell_parts = _outputs(cell, opts, floats)
        label = str(opts.get("label", ""))
        if label.startswith("fig-"):
            parts.extend(floats.figure(label, cell_parts, opts.get("fig-cap", "")))
        elif label.startswith("tbl-"):
            parts.extend(floats.table(label, cell_parts, opts.get("tbl-cap", "")))
        else:
            parts.extend(cell_parts)
    text = "\n\n".join(parts)
    numbers = floats.numbers

    def ref(match: re.Match) -> str:
        label = match.group(1)
        if label.startswith("sec-"):
            raise PipelineError(f"{MAIN_DOCUMENT}: @{label}: Quarto writes a section reference as a section "
                                f"number, which this unnumbered report does not show; link to the section with "
                                f"[its title](#{label}) instead.")
        if label not in numbers:
            raise PipelineError(f"{MAIN_DOCUMENT}: cross-reference @{label} points at no figure, table or section.")
        return f"[{numbers[label]}](#{label}){{.quarto-xref}}"

    # references are Markdown: not inside raw HTML blocks (tables, figures with their alt texts)
    out, pos = [], 0
    for block in RAW_BLOCK.finditer(text):
        out += [CROSSREF.sub(ref, text[pos:block.start()]), block.group(0)]
        pos = block.end()
    return "".join(out) + CROSSREF.sub(ref, text[pos:])


def _outputs(cell: nbformat.NotebookNode, opts: dict, floats: Floats) -> list[str]:
    """The outputs of one code cell as Markdown / raw HTML blocks, in order. Printed text of an
    ``output: asis`` cell is joined first (the kernel may split one print over several
    messages) and read as Markdown."""
    parts: list[str] = []
    asis = opts.get("output") == "asis"
    stdout: list[str] = []

    def flush() -> None:
        if stdout:
            text = "".join(stdout)
            parts.append(floats.in_markdown(text) if asis else f"```\n{text}\n```")
            stdout.clear()

    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            stdout.append(out.text)
            continue
        flush()
        if out.output_type in ("display_data", "execute_result"):
            data = out.data
            if "text/html" in data and "text/markdown" not in data and "image/png" not in data:
                raise PipelineError(
                    f"{MAIN_DOCUMENT}: a code cell shows HTML as a rich output; Quarto would then link require.js "
                    "and jQuery from the web and the report would not work offline. Emit it as a raw HTML block in "
                    "Markdown instead (figures.table_html does this for tables).")
            if "image/png" in data:
                alt = html.escape(str(opts.get("fig-alt", opts.get("fig-cap", ""))), quote=True)
                parts.append(_raw(f'<img src="data:image/png;base64,{data["image/png"].strip()}" alt="{alt}">'))
            elif "text/markdown" in data:
                parts.append(floats.in_markdown(data["text/markdown"]))
            elif "text/plain" in data and out.output_type == "display_data":
                parts.append(f"```\n{data['text/plain']}\n```")
    flush()
    return parts


def render_fallback(document: Path, params: dict[str, str], metadata: dict[str, str] | None = None) -> Rendered:
    """Render one ``.qmd`` without Quarto: the self-contained HTML and pandoc's warnings.
    ``metadata`` (the title) is read as Quarto reads it (:func:`metadata_file`)."""
    import pypandoc

    text = expand_includes(document.read_text(encoding="utf-8"), document.parent)
    meta, body = split_front_matter(text)
    nb, options = to_notebook(body, params)
    client = NotebookClient(nb, kernel_name="python3", timeout=EXECUTION_TIMEOUT,
                            resources={"metadata": {"path": str(document.parent)}})
    try:
        # the kernel's own stderr (start-up notices) is not the user's business; cell errors
        # arrive as messages and are reported below
        client.execute(stderr=subprocess.DEVNULL, env={**os.environ, **ONE_BLAS_THREAD})
    except CellExecutionError as exc:
        message = ANSI.sub("", str(exc)).strip()
        last = message.splitlines()[-1] if message else "unknown error"
        raise PipelineError(f"{document.name}: a code cell failed while rendering: {last}") from None
    html_opts = (meta.get("format") or {}).get("html") or {}
    echo = bool((meta.get("execute") or {}).get("echo", True))
    markdown = to_markdown(nb, options, echo)
    args = ["--from=markdown", "--to=html5", "--standalone", "--embed-resources", "--wrap=none",
            f"--metadata=lang:{meta.get('lang', 'nl')}"]
    if meta.get("title") and not (metadata or {}).get("title"):
        args.append(f"--metadata=title:{meta['title']}")
    if meta.get("subtitle"):
        args.append(f"--metadata=subtitle:{meta['subtitle']}")
    if html_opts.get("section-divs"):
        args.append("--section-divs")
    if html_opts.get("toc"):
        args += ["--toc", f"--toc-depth={html_opts.get('toc-depth', 2)}",
                 f"--metadata=toc-title:{html_opts.get('toc-title', 'Inhoud')}"]
    if html_opts.get("css"):
        args.append(f"--css={(document.parent / html_opts['css']).resolve()}")
    after = html_opts.get("include-after-body") or []
    for script in [after] if isinstance(after, str) else after:
        args.append(f"--include-after-body={(document.parent / script).resolve()}")
    with children.scratch_dir() as tmp:
        out = tmp / "report.html"
        if (metadata or {}).get("title"):
            args.append(f"--metadata-file={metadata_file(tmp, metadata or {})}")
        try:
            proc = children.run([pypandoc.get_pandoc_path(), *args, f"--output={out}"], input=markdown, cwd=document.parent,
                                timeout=EXECUTION_TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            raise PipelineError(f"pandoc did not convert {shown(document)} within {EXECUTION_TIMEOUT * 2} seconds.") from None
        if proc.returncode != 0:
            raise PipelineError(f"pandoc could not convert {shown(document)} (exit code {proc.returncode}):\n"
                                + _indent(proc.stderr.strip() or "(no message)", 2))
        page = with_content_security_policy(with_table_captions(with_main_landmark(out.read_bytes())), own_scripts(document))
        return Rendered(page, "fallback", tuple(quarto_warnings(proc.stderr)))
