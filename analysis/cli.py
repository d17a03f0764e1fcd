"""The ``rapportage`` command: one subcommand per stage, and ``run`` for all of them.

    rapportage run --demo                 # the embedded demo wave, all stages
    rapportage clean --wave 2025          # one stage of one wave

Errors a user can cause are printed as one sentence (no traceback) with exit code 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from analysis import pipeline
from analysis.config import Wave, load_wave
from analysis.errors import PipelineError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Rapportage Inburgering: fetch, clean, weight, estimate and render a wave.")
err = Console(stderr=True)

WaveOpt = Annotated[Optional[str], typer.Option("--wave", "-w", help="wave id: a folder under surveys/")]
DemoOpt = Annotated[bool, typer.Option("--demo", help="use the embedded demo wave (surveys/demo)")]
RootOpt = Annotated[Path, typer.Option("--root", envvar="RAPPORTAGE_ROOT", help="project folder (holds surveys/)")]
ForceOpt = Annotated[bool, typer.Option("--force", help="redo the stage even when its inputs did not change")]


def _wave(wave: str | None, demo: bool, root: Path) -> Wave:
    if demo and wave not in (None, "demo"):
        raise PipelineError("give either --demo or --wave, not both.")
    if not demo and wave is None:
        raise PipelineError("name a wave with --wave <id> (a folder under surveys/) or use --demo.")
    root = root.resolve()
    if not (root / "surveys").is_dir():
        raise PipelineError(f"{root} has no surveys/ folder; run from the project folder or pass --root.")
    return load_wave(root, "demo" if demo else wave)  # type: ignore[arg-type]


def _report(result: pipeline.StageResult, root: Path) -> None:
    state = "done" if result.ran else "up to date, skipped"
    err.print(f"[bold]{result.stage}[/bold]: {state}")
    for path in result.outputs:
        err.print(f"  {path.relative_to(root)}", style="dim")


def _stages(names: list[str], wave: str | None, demo: bool, root: Path, force: bool) -> pipeline.StageResult:
    """Run the named stages in order; a user error ends the command with one line and exit 1."""
    try:
        w = _wave(wave, demo, root)
        for name in names:
            with err.status(f"{name} ({w.id}) …"):
                result = pipeline.STAGES[name](w, force)
            _report(result, w.root)
    except PipelineError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    return result


@app.command()
def fetch(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False) -> None:
    """Fetch the wave's responses into a new raw snapshot (the demo wave is generated)."""
    _stages(["fetch"], wave, demo, root, force)


@app.command()
def clean(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False) -> None:
    """Clean, score and pseudonymise the latest snapshot into data_clean/<wave>/respondents.parquet."""
    _stages(["clean"], wave, demo, root, force)


@app.command()
def weight(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False) -> None:
    """Rake the respondents to the population margins of population.yaml."""
    _stages(["weight"], wave, demo, root, force)


@app.command()
def estimate(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False) -> None:
    """Estimate every indicator, overall and by group, with design-based confidence intervals."""
    _stages(["estimate"], wave, demo, root, force)


@app.command()
def render(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False) -> None:
    """Render the HTML report (Quarto where installed, the built-in fallback otherwise)."""
    _stages(["render"], wave, demo, root, force)


@app.command()
def run(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False) -> None:
    """Run all stages in order; the last line printed is the path of the report."""
    result = _stages(list(pipeline.STAGES), wave, demo, root, force)
    sys.stdout.write(f"{result.outputs[0]}\n")

if __name__ == "__main__":  # pragma: no cover
    app()
