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
- callouts (``::: {.callout-note}`` …) styled by ``reports/style.css``;
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


def _caption_block(kind: str, number: int, caption: str) -> str:
    word = {"fig": "Figuur", "tbl": "Tabel"}[kind]
    return f"{word} {number}: {caption}"


def to_markdown(nb: nbformat.NotebookNode, options: list[dict], echo_default: bool) -> str:
    """Pandoc Markdown of an executed notebook, with numbered captions and cross-references."""
    parts: list[str] = []
    numbers: dict[str, str] = {}
    counters = {"fig": 0, "tbl": 0}
    for cell, opts in zip(nb.cells, options):
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        if opts.get("echo", echo_default) and cell.source.strip():
            parts.append(f"```python\n{cell.source}\n```")
        if opts.get("output") is False:
            continue
        label = str(opts.get("label", ""))
        kind = label.split("-")[0] if label.startswith(("fig-", "tbl-")) else None
        cell_parts: list[str] = []  # raw HTML unless produced as Markdown
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stdout":
                text = out.text
                cell_parts.append(text if opts.get("output") == "asis" else f"```\n{text}\n```")
            elif out.output_type in ("display_data", "execute_result"):
                data = out.data
                if "image/png" in data:
                    alt = html.escape(str(opts.get("fig-alt", opts.get("fig-cap", ""))), quote=True)
                    cell_parts.append(_raw(f'<img src="data:image/png;base64,{data["image/png"].strip()}" alt="{alt}">'))
                elif "text/html" in data:
                    cell_parts.append(_raw(data["text/html"]))
                elif "text/markdown" in data:
                    cell_parts.append(data["text/markdown"])
                elif "text/plain" in data and out.output_type == "display_data":
                    cell_parts.append(f"```\n{data['text/plain']}\n```")
        if kind:
            counters[kind] += 1
            numbers[label] = f"{'Figuur' if kind == 'fig' else 'Tabel'} {counters[kind]}"
            caption = opts.get("fig-cap" if kind == "fig" else "tbl-cap", "")
            cap = html.escape(_caption_block(kind, counters[kind], caption))
            if kind == "fig":
                parts.append(_raw(f'<figure id="{label}" class="quarto-figure">'))
                parts.extend(cell_parts)
                parts.append(_raw(f"<figcaption>{cap}</figcaption>\n</figure>"))
            else:
                parts.append(_raw(f'<div id="{label}" class="quarto-table">\n<p class="table-caption">{cap}</p>'))
                parts.extend(cell_parts)
                parts.append(_raw("</div>"))
        else:
            parts.extend(cell_parts)
    text = "\n\n".join(parts)
    for title, sec in re.findall(r"^#+\s+(.+?)\s+\{#(sec-[A-Za-z0-9_-]+)\}", text, re.M):
        numbers.setdefault(sec, title)

    def ref(match: re.Match) -> str:
        label = match.group(1)
        if label not in numbers:
            raise PipelineError(f"{MAIN_DOCUMENT}: cross-reference @{label} points at no figure, table or section.")
        return f"[{numbers[label]}](#{label})"

    return CROSSREF.sub(ref, text)


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
        out = Path(tmp) / "report.html"
        pypandoc.convert_text(markdown, "html5", format="markdown", outputfile=str(out),
                              extra_args=args, cworkdir=str(document.parent))
        return out.read_bytes()
