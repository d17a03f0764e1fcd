"""Rendering the Quarto report: with ``quarto`` where installed, else the project's fallback.

The fallback renders the same ``.qmd`` documents: it expands ``{{< include >}}``, executes the
Python cells in a Jupyter kernel (nbclient) with the wave's parameters injected after the
``parameters`` cell, and converts the result with pandoc (from ``pypandoc-binary``) into one
self-contained HTML file. It supports the small set of Quarto features the report uses:

- front matter ``title``, ``subtitle``, ``lang``, ``format.html.toc`` / ``css``;
- cell options ``#| label``, ``#| fig-cap``, ``#| tbl-cap``, ``#| fig-alt``, ``#| echo``,
  ``#| output: asis`` and ``#| tags: [parameters]``;
- figure and table captions numbered "Figuur n" / "Tabel n", cross-references ``@fig-…`` /
  ``@tbl-…``; section references ``@sec-…``;
- figures and tables written as Markdown, also from ``output: asis`` cells (this is how the
  report gives every figure an alt text generated from the data it shows):
  ``![caption](src){#fig-x fig-alt="…"}`` and a fenced div ``::: {#tbl-x}`` whose last
  paragraph is the caption;
- callouts (``::: {.callout-note}`` …) styled by ``reports/style.css``;
- tabsets (``::: {.panel-tabset}`` with one heading per tab): pandoc writes each tab as a
  headed section; ``analysis/tabsets.js`` (inlined) turns them into WAI-ARIA tabs, and without
  script or in print every tab shows as a subsection;
- cell outputs: PNG images, HTML (tables), Markdown (text built from the numbers).

Anything else in a ``.qmd`` is passed to pandoc as Markdown.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from analysis.config import Wave
from analysis.errors import PipelineError

MAIN_DOCUMENT = "reports/rapportage.qmd"
CELL = re.compile(r"^```\{python\}[^\n]*\n(.*?)^```\s*$", re.S | re.M)
INCLUDE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}[ \t]*$", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CROSSREF = re.compile(r"@((?:fig|tbl|sec)-[A-Za-z0-9_-]+)")
# a Markdown figure with an id, and a fenced div that makes its content a captioned table
QUOTED = r'"(?:[^"\\]|\\.)*"'
ATTRS = rf'(?:[^}}"]|{QUOTED})*'  # attributes; a quoted value may hold any character
MD_FIGURE = re.compile(rf"!\[(?P<caption>(?:[^\]\\]|\\.)*)\]\((?P<src>[^)\s]+)\)\{{(?P<attrs>{ATTRS}#fig-{ATTRS})\}}")
MD_TABLE = re.compile(r"^:::+ *\{#(?P<label>tbl-[A-Za-z0-9_-]+)\} *\n(?P<body>.*?)\n:::+ *$", re.S | re.M)
FLOAT = re.compile(f"{MD_FIGURE.pattern}|{MD_TABLE.pattern}", re.S | re.M)
TABSET_SCRIPT = Path(__file__).with_name("tabsets.js")
EXECUTION_TIMEOUT = 600


def source_files(root: Path) -> list[Path]:
    """Everything the report is made from (inputs of the render stage's manifest)."""
    reports = root / "reports"
    files = [root / "_quarto.yml"]
    for pattern in ("*.qmd", "*.py", "*.css"):
        files += sorted(reports.glob(pattern))
    return files


def render_report(wave: Wave) -> bytes:
    """Render the report of ``wave`` and return the bytes of its self-contained HTML file."""
    params = {"wave": wave.id, "root": str(wave.root.resolve())}
    if shutil.which("quarto"):
        return _render_with_quarto(wave, params)
    return render_fallback(wave.root / MAIN_DOCUMENT, params)


def _render_with_quarto(wave: Wave, params: dict[str, str]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["quarto", "render", MAIN_DOCUMENT, "--to", "html", "--output-dir", tmp]
        for key, value in params.items():
            cmd += ["-P", f"{key}:{value}"]
        proc = subprocess.run(cmd, cwd=wave.root, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
            raise PipelineError(f"quarto render of {MAIN_DOCUMENT} failed: {tail[0]}")
        out = Path(tmp) / (Path(MAIN_DOCUMENT).stem + ".html")
        return out.read_bytes()


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
        self.numbers[label] = f"{WORDS[kind]} {self.counters[kind]}"
        return self.numbers[label]

    def figure(self, label: str, images: list[str], caption: str) -> list[str]:
        cap = html.escape(f"{self.number(label)}: {caption}")
        return [_raw(f'<figure id="{label}" class="quarto-figure">'), *images,
                _raw(f"<figcaption>{cap}</figcaption>\n</figure>")]

    def table(self, label: str, content: list[str], caption: str) -> list[str]:
        cap = html.escape(f"{self.number(label)}: {caption}")
        return [_raw(f'<div id="{label}" class="quarto-table">\n<p class="table-caption">{cap}</p>'),
                *content, _raw("</div>")]

    def in_markdown(self, text: str) -> str:
        """Number the Markdown figures and tables of ``text`` (see the module docstring)."""

        def sub(m: re.Match) -> str:
            if m.group("src"):
                attrs = m.group("attrs")
                label = re.search(r"#(fig-[A-Za-z0-9_-]+)", re.sub(QUOTED, '""', attrs)).group(1)
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
    for title, sec in re.findall(r"^#+\s+(.+?)\s+\{#(sec-[A-Za-z0-9_-]+)\}", text, re.M):
        numbers.setdefault(sec, title)

    def ref(match: re.Match) -> str:
        label = match.group(1)
        if label not in numbers:
            raise PipelineError(f"{MAIN_DOCUMENT}: cross-reference @{label} points at no figure, table or section.")
        return f"[{numbers[label]}](#{label})"

    return CROSSREF.sub(ref, text)


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
            if "image/png" in data:
                alt = html.escape(str(opts.get("fig-alt", opts.get("fig-cap", ""))), quote=True)
                parts.append(_raw(f'<img src="data:image/png;base64,{data["image/png"].strip()}" alt="{alt}">'))
            elif "text/html" in data:
                parts.append(_raw(data["text/html"]))
            elif "text/markdown" in data:
                parts.append(floats.in_markdown(data["text/markdown"]))
            elif "text/plain" in data and out.output_type == "display_data":
                parts.append(f"```\n{data['text/plain']}\n```")
    flush()
    return parts


def render_fallback(document: Path, params: dict[str, str]) -> bytes:
    """Render one ``.qmd`` without Quarto; returns the self-contained HTML."""
    import pypandoc

    text = expand_includes(document.read_text(encoding="utf-8"), document.parent)
    meta, body = split_front_matter(text)
    nb, options = to_notebook(body, params)
    client = NotebookClient(nb, kernel_name="python3", timeout=EXECUTION_TIMEOUT,
                            resources={"metadata": {"path": str(document.parent)}})
    try:
        # the kernel's own stderr (start-up notices) is not the user's business; cell errors
        # arrive as messages and are reported below
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as exc:
        message = ANSI.sub("", str(exc)).strip()
        last = message.splitlines()[-1] if message else "unknown error"
        raise PipelineError(f"{document.name}: a code cell failed while rendering: {last}") from None
    html_opts = (meta.get("format") or {}).get("html") or {}
    echo = bool((meta.get("execute") or {}).get("echo", True))
    markdown = to_markdown(nb, options, echo)
    args = ["--standalone", "--embed-resources", "--section-divs", "--wrap=none",
            f"--metadata=title:{meta.get('title', document.stem)}",
            f"--metadata=lang:{meta.get('lang', 'nl')}"]
    if meta.get("subtitle"):
        args.append(f"--metadata=subtitle:{meta['subtitle']}")
    if html_opts.get("toc"):
        args += ["--toc", f"--toc-depth={html_opts.get('toc-depth', 2)}",
                 f"--metadata=toc-title:{html_opts.get('toc-title', 'Inhoud')}"]
    if html_opts.get("css"):
        args.append(f"--css={(document.parent / html_opts['css']).resolve()}")
    with tempfile.TemporaryDirectory() as tmp:
        if "panel-tabset" in markdown:
            after = Path(tmp) / "tabsets.html"
            after.write_text(f"<script>\n{TABSET_SCRIPT.read_text(encoding='utf-8')}</script>\n", encoding="utf-8")
            args.append(f"--include-after-body={after}")
        out = Path(tmp) / "report.html"
        pypandoc.convert_text(markdown, "html5", format="markdown", outputfile=str(out),
                              extra_args=args, cworkdir=str(document.parent))
        return out.read_bytes()
