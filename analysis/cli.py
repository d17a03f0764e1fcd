"""The ``rapportage`` command: one subcommand per stage, and ``run`` for all of them.

    rapportage run --demo                 # the embedded demo series (2023-2025), all stages
    rapportage run --wave 2025            # a wave, after the earlier waves of its series
    rapportage clean --wave 2025          # one stage of one wave

Errors a user can cause are printed as one sentence (no traceback) with exit code 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from rapportage.config import (
    FILE_MODELS,
    Wave,
    load_wave,
    markup_in_texts,
    researcher_text_warnings,
    weighting_differences,
)
from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import check_file, compare
from rapportage.yaml_config import read_yaml

if TYPE_CHECKING:
    from rapportage.stages import pipeline

# The stages (pandas, scipy, matplotlib, citric, …) are imported inside the commands that run them,
# so that 'rapportage --help' and 'rapportage validate' answer at once.

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Rapportage Inburgering: fetch, clean, weight, estimate and render a wave.")
err = Console(stderr=True, soft_wrap=True)  # an error is one line, never broken mid-path

WaveOpt = Annotated[Optional[str], typer.Option("--wave", "-w", help="wave id: a folder under surveys/")]
DEMO = "demo-2025"
"""The newest wave of the embedded demo series (surveys/demo-2023, demo-2024, demo-2025)."""
DemoOpt = Annotated[bool, typer.Option("--demo", help=f"use the embedded demo series: its newest wave, surveys/{DEMO}")]
RootOpt = Annotated[Path, typer.Option("--root", envvar="RAPPORTAGE_ROOT", help="project folder (holds surveys/)")]
ForceOpt = Annotated[bool, typer.Option("--force", help="redo the stage even when its inputs did not change")]


def _wave_id(wave: str | None, demo: bool, root: Path) -> str:
    if demo and wave not in (None, DEMO):
        raise PipelineError("give either --demo or --wave, not both.")
    if not demo and wave is None:
        raise PipelineError("name a wave with --wave <id> (a folder under surveys/) or use --demo.")
    if not (root / "surveys").is_dir():
        raise PipelineError(f"{root} has no surveys/ folder; run from the project folder or pass --root.")
    return DEMO if demo else wave  # type: ignore[return-value]


def _wave(wave: str | None, demo: bool, root: Path) -> Wave:
    root = root.resolve()
    return load_wave(root, _wave_id(wave, demo, root))


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def _interrupted() -> None:
    """Ctrl-C (SIGINT): every output goes through a temporary file and a rename, so each file is
    its earlier or its new version and a stage whose outputs are mixed reruns next time."""
    err.print("[red]interrupted:[/red] no file was left half-written; run the command again to finish.")
    raise typer.Exit(130)


def _notes(lines: list[str]) -> None:
    for line in lines:
        err.print(f"[bold]note:[/bold] {escape(line)}", highlight=False)


def _report(result: pipeline.StageResult, root: Path) -> None:
    state = "done" if result.ran else "up to date, skipped"
    err.print(f"[bold]{result.stage}[/bold]: {state}")
    for path in result.outputs:
        err.print(f"  {escape(str(path.relative_to(root)))}", style="dim", highlight=False)
    for note in result.notes:
        err.print(f"  {escape(note)}", style="dim", highlight=False)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)


def _stages(names: list[str], wave: str | None, demo: bool, root: Path, force: bool) -> pipeline.StageResult:
    """Run the named stages in order; a user error ends the command with one line and exit 1."""
    from rapportage.stages import pipeline

    try:
        w = _wave(wave, demo, root)
        with pipeline.wave_lock(w) as removed:
            _notes(removed)
            for name in names:
                with err.status(f"{name} ({w.id}) …"):
                    result = pipeline.COMMANDS[name](w, force)
                _report(result, w.root)
    except PipelineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _interrupted()
    return result


@app.command()
def fetch(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."), force: ForceOpt = False,
          incremental: Annotated[bool, typer.Option("--incremental", help="only responses above the highest id already held")] = False) -> None:
    """Fetch the wave's responses into a new raw snapshot (a synthetic wave is generated)."""
    try:
        w = _wave(wave, demo, root)
        if w.config.synthetic is not None:
            _stages(["fetch"], wave, demo, root, force)
            return
        with Progress(TextColumn("survey {task.fields[sid]}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("responses"), console=err, transient=True) as bar:
            tasks: dict[int, TaskID] = {}

            def progress(sid: int, done: int, total: int) -> None:
                if sid not in tasks:
                    tasks[sid] = bar.add_task("fetch", total=total, sid=sid)
                bar.update(tasks[sid], completed=done, total=total)

            from rapportage.stages import pipeline

            with pipeline.wave_lock(w) as removed:
                _notes(removed)
                result = pipeline.fetch_from_server(w, incremental=incremental, progress=progress)
        _report(result, w.root)
    except PipelineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _interrupted()


@app.command("import")
def import_(files: Annotated[list[Path], typer.Argument(help="the response export (.csv) and the survey structure (.lss)")],
            wave: WaveOpt = None, root: RootOpt = Path(".")) -> None:
    """Import a CSV response export and its .lss survey file (LimeSurvey admin pages) as a new snapshot."""
    try:
        w = _wave(wave, False, root)
        from rapportage.sources.fetch import import_files
        from rapportage.stages import pipeline

        with pipeline.wave_lock(w) as removed:
            _notes(removed)
            snap = import_files(w, files)
    except PipelineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _interrupted()
    err.print(f"[bold]import[/bold]: done, snapshot {escape(str(snap.relative_to(w.root)))}", highlight=False)


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
    """Run all stages in order, after the earlier waves of the series (their fetch to estimate
    stages, skipped where current); the last line printed is the path of the report."""
    from rapportage.stages import pipeline

    try:
        chain = pipeline.series(_wave(wave, demo, root))
    except PipelineError as exc:
        _fail(str(exc))
    for earlier in chain[:-1]:
        _stages(["fetch", "clean", "weight", "estimate"], earlier.id, False, root, force)
    result = _stages(list(pipeline.STAGES), chain[-1].id, False, root, force)
    sys.stdout.write(f"{result.outputs[0]}\n")


@app.command()
def monitor(
    wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."),
    day: Annotated[Optional[int], typer.Option("--day", help="the status on this day of the fieldwork (1 = its first day); "
                                               "default today, and 14 for the simulated demo fieldwork")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="use the snapshots there are; do not fetch new responses first")] = False,
    remind: Annotated[Optional[list[str]], typer.Option(
        "--remind", help="frame categories to remind, as variable=code (repeat, or separate with commas): a dry run "
                         "that counts whom the reminder would reach")] = None,
    send: Annotated[bool, typer.Option("--send", help="with --remind: send the reminders through LimeSurvey")] = False,
) -> None:
    """Fieldwork monitor: response per day and frame category, representativeness (R-indicator and
    partial R-indicators), maximal bias per indicator, projected response and whom to remind first;
    writes reports/_output/<wave>/veldwerk.html and veldwerk_aanbeveling.csv. With --remind, counts
    (and with --send, reminds) the non-responding participants of those categories."""
    try:
        from rapportage.stages import monitor as monitoring

        w = _wave(wave, demo, root)
        if send and not remind:
            raise PipelineError("--send sends the reminders that --remind names; add --remind variable=code.")
        wanted = [part.strip() for spec in remind or [] for part in spec.split(",") if part.strip()]
        result = monitoring.run_monitor(w, day=day, offline=offline, remind=wanted, send=send, say=err.print)
        for line in result:
            print(line)
    except PipelineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _interrupted()


@app.command()
def simulate(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path(".")) -> None:
    """Write a synthetic snapshot and population frame from the wave's own configuration (only for
    a wave whose wave.yaml has the key 'synthetic'), e.g. to dry-run next year's wave."""
    _stages(["simulate"], wave, demo, root, True)

@app.command("export")
def export_(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."),
            fmt: Annotated[str, typer.Option("--format", "-f", help="sav (SPSS, with labels), csv (+ codebook), parquet, or bundle "
                                             "(a reviewer's folder: data with weights, R and SPSS scripts that reproduce the key figures)")] = "sav",
            output: Annotated[Optional[Path], typer.Option("--output", "-o", help="folder to write to (bundle: the bundle's folder; "
                                                           "default data_clean/<wave>/export/bundle/)")] = None) -> None:
    """Export the clean respondents table (no identifiers, no free text) for SPSS or other tools; --format bundle
    writes a folder with the weights, the population totals and R/SPSS scripts that reproduce every key figure."""
    try:
        w = _wave(wave, demo, root)
        from rapportage.stages import pipeline
        from rapportage.stages.export import export as export_data

        with pipeline.wave_lock(w) as removed:
            _notes(removed)
            files, result = export_data(w, fmt, output)
    except PipelineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _interrupted()
    blanked = ", ".join(f"{name} {count}" for name, count in result.blanked.items() if count)
    exact = getattr(result, "exact", ())  # a bundle keeps the calibration variables exact
    err.print(f"  k-anonymous (k = {result.k}) on {', '.join(result.quasi_identifiers) or 'nothing'}"
              + (f" within each combination of {', '.join(exact)} (kept exact for the calibration)" if exact else "") + ": "
              + (f"{sum(result.blanked.values())} values blanked in {result.respondents_touched} respondents ({blanked})"
                 if blanked else "nothing needed blanking"), style="dim", highlight=False)
    rare, unique = getattr(result, "rare_respondents", 0), getattr(result, "unique_respondents", 0)
    if exact and rare:
        err.print(f"  {rare} respondents ({unique} unique) share their combination of "
                  f"{', '.join(exact)} with fewer than {result.k - 1} others: kept, with their other quasi-identifiers blank "
                  "(the bundle's LEESMIJ.md says so)", style="dim", highlight=False)
    for path in files:
        print(path)


@app.command()
def lss(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."),
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="file to write")] = None) -> None:
    """Write the LimeSurvey survey structure file (.lss) of the wave's questionnaire, to import into LimeSurvey."""
    try:
        w = _wave(wave, demo, root)
        survey_id = w.config.limesurvey.survey_ids[0]
        from rapportage.manifest import atomic_write
        from rapportage.questionnaire.lss import write_lss
        from rapportage.questionnaire.translations import check_fielded

        # every language wave.yaml offers, with all its texts: refused (one sentence) when one lacks texts
        warnings = check_fielded(w.questionnaire, w.config.languages, f"surveys/{w.id}/wave.yaml")
        data = write_lss(w.questionnaire, survey_id, languages=w.config.languages)  # the questionnaire's own title, translated
        target = output or w.clean_dir / f"survey_{survey_id}.lss"
        atomic_write(target, data)
    except PipelineError as exc:
        _fail(str(exc))
    for line in warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(line)}", highlight=False)
    print(target)


def _file_problem(path: Path, model) -> str | None:
    """The first problem of one configuration file on its own (validate lists every file's)."""
    from rapportage.yaml_config import load_yaml_model

    try:
        load_yaml_model(path, model)
    except PipelineError as exc:
        return str(exc)
    return None


def translation_lines(w: Wave) -> list[str]:
    """Per language: how many texts are missing, draft, reviewed, final, and stale (translated from
    a Dutch text that has changed since), and whether wave.yaml offers it."""
    from rapportage.questionnaire.translations import status

    total = len(w.questionnaire.texts())
    lines = []
    for code, st in status(w.questionnaire).items():
        name = f"{w.questionnaire.languages[code].name} ({code})"
        offered = "offered" if code in w.config.languages else "not offered"
        if st.base:
            lines.append(f"{name}: base language, {total} texts in questionnaire.yaml; {offered}")
            continue
        counts = ", ".join(f"{len(getattr(st, s))} {s}" for s in ("missing", "draft", "reviewed", "final"))
        extra = f"; {len(st.stale)} stale: {', '.join(st.stale)}" if st.stale else ""
        extra += f"; {len(st.obsolete)} no longer in the questionnaire: {', '.join(st.obsolete)}" if st.obsolete else ""
        lines.append(f"{name}: {counts}{extra}; {offered}")
    return lines


def untranslated_offered(w: Wave) -> list[str]:
    """Languages wave.yaml offers that lack texts: 'rapportage lss' will refuse them."""
    from rapportage.questionnaire.translations import status

    total = len(w.questionnaire.texts())
    return [f"surveys/{w.id}/wave.yaml: key 'languages' offers {code!r}, but {len(st.missing)} of its {total} texts are not "
            "translated; people who need that language cannot take part until it is (rapportage lss refuses it)."
            for code, st in status(w.questionnaire).items() if code in w.config.languages and st.missing]


def _allows_markup(folder: Path) -> bool:
    try:
        return bool((read_yaml((folder / "wave.yaml").read_text(encoding="utf-8")) or {}).get("allow_markup_in_texts"))
    except (OSError, yaml.YAMLError, AttributeError):
        return False  # the wave's own validation reports the file


translations_app = typer.Typer(no_args_is_help=True, help="The questionnaire's translations: a spreadsheet for translators, and back.")
app.add_typer(translations_app, name="translations")


@translations_app.command("export")
def translations_export(
    language: Annotated[str, typer.Option("--language", "-l", help="language code, as declared in questionnaire.yaml (ti, fa, prs, …)")],
    wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."),
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="file to write (.xlsx)")] = None,
) -> None:
    """Write the spreadsheet (.xlsx) a translator works in: one row per text, Dutch source, English pivot, current translation and status."""
    try:
        w = _wave(wave, demo, root)
        from rapportage.manifest import atomic_write
        from rapportage.questionnaire.translations import export_sheet

        data = export_sheet(w.questionnaire, language, w.id)
        target = output or Path(f"vertaling_{w.id}_{language}.xlsx")
        atomic_write(target, data)
    except PipelineError as exc:
        _fail(str(exc))
    print(target)


@translations_app.command("import")
def translations_import(
    file: Annotated[Path, typer.Argument(help="the spreadsheet that 'translations export' wrote, filled in")],
    wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path("."),
) -> None:
    """Merge a translator's spreadsheet into surveys/<wave>/translations/<language>.yaml; nothing is written on any problem."""
    try:
        w = _wave(wave, demo, root)
        from rapportage.manifest import atomic_write
        from rapportage.questionnaire.translations import dump, import_sheet, path_of
        from rapportage.stages import pipeline

        with pipeline.wave_lock(w):  # one writer: a second import (or a run) of this wave waits its turn
            w = _wave(wave, demo, root)  # read again under the lock, so no other import's rows are lost
            result = import_sheet(w.questionnaire, file)
            target = path_of(w.config_dir / "questionnaire.yaml", result.language)
            atomic_write(target, dump(w.questionnaire, result.file))
    except PipelineError as exc:
        _fail(str(exc))
    counts = ", ".join(f"{n} {s}" for s, n in result.by_status.items())
    print(f"{target.relative_to(w.root)}: {result.changed} text(s) changed; now {counts} of {len(w.questionnaire.texts())}.")


@app.command("new-wave")
def new_wave(
    wave_id: Annotated[str, typer.Argument(help="id of the new wave: the folder surveys/<id>/ it writes")],
    previous: Annotated[str, typer.Option("--from", help="the wave to start from (usually last year's)")],
    root: RootOpt = Path("."),
) -> None:
    """Start next year's wave from this year's: same questionnaire, cleaning and weighting, compared with it."""
    from rapportage.waves import new_wave as write_new_wave

    root = root.resolve()
    try:
        steps = write_new_wave(root, wave_id, previous)
    except PipelineError as exc:
        _fail(str(exc))
    print(f"wrote surveys/{wave_id}/ from surveys/{previous}/ (baseline_wave: {previous}). Next:")
    for n, step in enumerate(steps, start=1):
        print(f"  {n}. {step}")


@app.command()
def validate(wave: WaveOpt = None, demo: DemoOpt = False, root: RootOpt = Path(".")) -> None:
    """Check the wave's configuration: list every problem, then what changed since the baseline wave."""
    root = root.resolve()
    try:
        wave_id = _wave_id(wave, demo, root)
        folder = root / "surveys" / wave_id
        q, found = check_file(folder / "questionnaire.yaml")
        if folder.is_dir():
            found += [problem for name, model in FILE_MODELS.items()
                      if (name != "references.yaml" or (folder / name).is_file())  # the only optional one
                      and (problem := _file_problem(folder / name, model))]
            if not _allows_markup(folder):
                found += markup_in_texts(folder)
        for line in found:
            err.print(f"[red]error:[/red] {escape(line)}", highlight=False)
        if found:
            raise typer.Exit(1)
        w = load_wave(root, wave_id)
        for line in researcher_text_warnings(w) + untranslated_offered(w):
            err.print(f"[yellow]warning:[/yellow] {escape(line)}", highlight=False)
        print(f"surveys/{wave_id}: valid: {len(w.questionnaire.items)} items, "
              f"{len(w.questionnaire.variables())} variables, {len(w.questionnaire.scales)} scales, "
              f"{len(w.questionnaire.indicators)} indicators.")
        print("translations (texts per status):")
        for line in translation_lines(w):
            print(f"  {line}")
        if w.config.baseline_wave:
            baseline = load_wave(root, w.config.baseline_wave)
            lines = compare(baseline.questionnaire, w.questionnaire).lines()
            lines += [f"weighting: {change}" for change in weighting_differences(w.population, baseline.population)]
            print(f"compared with baseline wave {w.config.baseline_wave!r}: "
                  + (f"{len(lines)} difference(s)" if lines else "no differences"))
            for line in lines:
                print(f"  {line}")
    except PipelineError as exc:
        _fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    app()
