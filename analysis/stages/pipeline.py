"""The stages of a wave, in one direction: fetch → clean → weight → estimate → render.

Each stage reads only the stage before it and the wave's configuration, writes its own outputs
atomically, records a manifest next to them and is skipped when that manifest shows nothing
changed. Stage functions return a :class:`StageResult`; the CLI only reports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import io
import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from rapportage import manifest
from rapportage.cleaning import rules as cleaning
from rapportage.cleaning.schema import parquet_with_labels, validate_respondents
from rapportage.config import Wave, researcher_text_warnings
from rapportage.contracts import ESTIMATES, GROUP_TESTS, TREND, CleaningLog, WeightingReport, checked, read_table
from rapportage.csvfiles import csv_bytes
from rapportage.errors import PipelineError
from rapportage.questionnaire.codebook import codebook, codebook_csv, codebook_markdown
from rapportage.questionnaire.lss import (
    drift,
    structure_from_spec,
    summarise,
    write_lss,
)
from rapportage.scoring.scales import scale_reliability
from rapportage.sources import synthetic
from rapportage.sources.fetch import FetchSettings, credentials, fetch_settings, fetch_wave
from rapportage.sources.limesurvey import responses_table
from rapportage.sources.redaction import is_loopback
from rapportage.sources.snapshots import (
    combined_responses,
    latest_snapshot,
    raw_files,
    snapshots,
    structure_of,
    verify_snapshot,
)
from rapportage.stages.estimates import estimate_indicators, group_tests
from rapportage.stages.weight import weight_wave
from rapportage.statistics.design import Design
from rapportage.statistics.testing import adjust_p

SECRET_ENV = "RAPPORTAGE_PSEUDONYM_SECRET"


@dataclass(frozen=True)
class StageResult:
    stage: str
    ran: bool
    """False when the outputs were current and the stage was skipped."""
    outputs: list[Path]
    warnings: tuple[str, ...] = ()
    """What a tool the stage ran reported without failing (Quarto's and pandoc's warnings)."""
    notes: tuple[str, ...] = ()
    """What the user should know about the run (which snapshot the clean stage used)."""


ESTIMATION_ONLY = ("estimation.confidence", "estimation.small_domain_n", "estimation.fpc", "disclosure", "baseline_wave",
                   "comparability.bias_caveat", "comparability.bias_break", "comparability.mode_shift_points")
"""Keys of wave.yaml that only the estimate stage and what comes after it read: fetch, clean and
weight leave them out of their configuration hash, so changing the confidence level redoes the
estimates and the report, not the weighting. (``estimation.groups`` is not among them: the demo
generator draws its sample by those groups.)"""


def _run(
    wave: Wave, stage: str, manifest_path: Path, inputs: list[Path],
    produce: Callable[[], dict[Path, bytes]], force: bool, provenance: str = "", ignore: tuple[str, ...] = (),
) -> StageResult:
    """Skip when current; otherwise produce the outputs, write them atomically, then the manifest.
    ``provenance`` is state outside the files that the outputs show (the render stage: the git
    commit in the colophon), so a change of it redoes the stage. ``ignore``: keys of wave.yaml
    this stage does not read (:meth:`Wave.config_sha256`)."""
    _check_upstream(wave, inputs)
    config = wave.config_sha256(ignore)
    if provenance:
        config = hashlib.sha256(f"{config}\n{provenance}".encode()).hexdigest()
    if not force and manifest.is_current(manifest_path, wave.root, inputs, config):
        recorded = json.loads(manifest_path.read_text(encoding="utf-8"))
        return StageResult(stage, False, [wave.root / p for p in recorded["outputs"]])
    # one BLAS thread: the matrices are respondents x a few dozen columns, too small for a second
    # thread to pay off, and on a busy machine it made the estimate stage ~3x slower
    # (benchmarks/bench_threads.py)
    with threadpool_limits(limits=1, user_api="blas"):
        files = produce()
    manifest.remove_stale_temporaries([*files, manifest_path])
    manifest.atomic_write_all(files)
    record = manifest.build(stage, wave.id, wave.root, inputs, list(files), config)
    manifest.atomic_write(manifest_path, manifest.json_bytes(record))
    return StageResult(stage, True, list(files))


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


# --------------------------------------------------------------------------- fetch
def fetch(wave: Wave, force: bool = False) -> StageResult:
    """Bring the wave's raw data into a snapshot under ``data_raw/<wave>/``.

    For the demo wave the snapshot is generated (same bytes as a LimeSurvey JSON export). For a
    real wave it comes from the LimeSurvey server, but as a stage of ``run`` only when the wave has
    no snapshot yet: ``run --force`` redoes the analysis of the newest snapshot (fetched or
    imported); ``rapportage fetch`` is how a new one is asked for.
    """
    settings = wave.config.synthetic
    if settings is None:
        return fetch_from_server(wave, refetch=False)
    snapshot = wave.raw_dir / wave.config.synthetic_snapshot()
    manifest_path = snapshot / "manifest.json"

    def produce() -> dict[Path, bytes]:
        files = synthetic.generate(wave)
        export_name = next(n for n in files if n.startswith("responses_"))
        rows = json.loads(files[export_name])["responses"]
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            c = counts.setdefault(r["startlanguage"], {"complete": 0, "incomplete": 0})
            c["complete" if r["submitdate"] else "incomplete"] += 1
        summary = {
            "source": f"synthetic (rapportage.sources.synthetic, seed {settings.seed})",
            "survey_ids": wave.config.limesurvey.survey_ids,
            "response_id_range": [rows[0]["id"], rows[-1]["id"]] if rows else None,
            "responses_by_language": counts,
            "files": {n: manifest.sha256_bytes(files[n]) for n in sorted(files) if n.startswith("responses_")},
        }
        out = {snapshot / n: b for n, b in files.items() if n.startswith("responses_")}
        for sid in wave.config.limesurvey.survey_ids:  # the survey as LimeSurvey holds it
            out[snapshot / f"structure_{sid}.lss"] = write_lss(wave.questionnaire, sid, languages=wave.config.languages)
        out[snapshot / "export_summary.json"] = manifest.json_bytes(summary)
        out[wave.raw_dir / "frame.csv"] = files["frame.csv"]
        out[wave.raw_dir / "population_truth.json"] = files["population_truth.json"]
        out[wave.raw_dir / "planted.json"] = files["planted.json"]
        return out

    return _run(wave, "fetch", manifest_path, [], produce, force, ignore=ESTIMATION_ONLY)


def simulate(wave: Wave, force: bool = True) -> StageResult:
    """``rapportage simulate``: the synthetic snapshot and frame of a wave whose wave.yaml says it
    is synthetic (one sentence otherwise)."""
    if wave.config.synthetic is None:
        synthetic.generate(wave)  # raises the sentence that says how to make a dry run
    return dataclasses.replace(fetch(wave, force), stage="simulate")


def series(wave: Wave) -> list[Wave]:
    """The waves of ``wave``'s series, oldest first, ending with ``wave``: each wave's
    ``baseline_wave`` is the one before it."""
    from rapportage.config import load_wave

    chain = [wave]
    while chain[0].config.baseline_wave:
        earlier = load_wave(wave.root, chain[0].config.baseline_wave)
        if any(w.id == earlier.id for w in chain):
            raise PipelineError(f"surveys/{chain[0].id}/wave.yaml: key 'baseline_wave' names {earlier.id!r}, which comes after it in "
                                "the series (a loop); point it at the wave before.")
        if earlier.config.year >= chain[0].config.year:
            raise PipelineError(f"surveys/{chain[0].id}/wave.yaml: key 'baseline_wave' names {earlier.id!r} of {earlier.config.year}, "
                                f"not earlier than {chain[0].config.year}; a series runs from older to newer waves, so "
                                "correct the year or the baseline wave.")
        chain.insert(0, earlier)
    return chain


def fetch_from_server(wave: Wave, *, incremental: bool = False, progress=None, settings: FetchSettings | None = None,
                      refetch: bool = True) -> StageResult:
    """A new snapshot from the wave's LimeSurvey server (``refetch=False``: keep the newest one
    if there is one, so that rerunning a wave's analysis does not depend on the server)."""
    existing = snapshots(wave)
    if existing and not refetch:
        return StageResult("fetch", False, sorted(p for p in existing[-1].iterdir() if p.is_file()))
    settings = settings or fetch_settings(wave)
    creds = credentials(wave)
    snap = fetch_wave(wave, creds, incremental=incremental, progress=progress, settings=settings)
    warnings: tuple[str, ...] = ()
    if creds.url.lower().startswith("http://") and not is_loopback(creds.url):
        warnings = (f"the password was sent to {creds.public_url} over plain http:// (limesurvey.allow_http is true "
                    f"in surveys/{wave.id}/wave.yaml); use https:// when the server offers it.",)
    return StageResult("fetch", True, sorted(p for p in snap.iterdir() if p.is_file()), warnings)


# --------------------------------------------------------------------------- clean
def _secret(wave: Wave) -> str:
    if wave.config.synthetic is not None:
        return wave.config.synthetic.pseudonym_secret
    secret = os.environ.get(SECRET_ENV, "")
    weak = weak_secret(secret)
    if weak:
        raise PipelineError(
            f"the environment variable {SECRET_ENV} {weak}; respondent keys of wave {wave.id!r} are derived from it, so "
            "it must be unguessable: make one with  python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"  "
            "and keep it outside the repository."
        )
    return secret


def weak_secret(secret: str) -> str | None:
    """Why ``secret`` is too weak to key the pseudonyms (None when it is not): fewer than 16
    characters, white space at either end, less than 40 bits by a rough measure (length times
    log2 of the number of different characters, which underrates random secrets: 16 random
    hexadecimal digits pass, ``abababab…`` does not), or a run such as ``abcdefghijklmnop``. (Anyone who can guess it
    can link the keys back to the registry.)"""
    if not secret:
        return "is not set"
    if secret != secret.strip():
        return "begins or ends with white space (a copying mistake?)"
    if len(secret) < 16:
        return f"has {len(secret)} characters, fewer than 16"
    bits = len(secret) * math.log2(len(set(secret)))
    if bits < 40:
        return f"is too predictable (about {bits:.0f} bits from {len(set(secret))} different characters; 40 are needed)"
    steps = [ord(b) - ord(a) for a, b in zip(secret, secret[1:])]
    if sum(abs(step) <= 1 for step in steps) > 0.75 * len(steps):
        return "is mostly a run of neighbouring characters"
    return None


def check_structure(wave: Wave, survey_id: int) -> None:
    """Drift check: the survey structure held in the snapshots must match questionnaire.yaml
    before any response is interpreted with it (codes that changed meaning would be misread)."""
    structure = structure_of(wave, survey_id)
    if structure is None:
        return
    differences = drift(structure_from_spec(wave.questionnaire, wave.config.languages), structure)
    if differences:
        raise PipelineError(
            f"survey {survey_id} in snapshot {latest_snapshot(wave).name} does not match surveys/{wave.id}/questionnaire.yaml: "
            f"{summarise(differences, name=f'drift-{wave.id}-{survey_id}')}. "
            "Update the specification (or the survey) so they agree, then fetch again."
        )


def fielded_languages(wave: Wave) -> list[str]:
    """The languages the survey(s) had in the field, from the structure held in the snapshots
    (base language first); wave.yaml's list only for a survey whose structure was not kept."""
    out: list[str] = []
    for survey_id in wave.config.limesurvey.survey_ids:
        structure = structure_of(wave, survey_id)
        out += [lang for lang in (structure.languages if structure else wave.config.languages) if lang not in out]
    return out


def clean(wave: Wave, force: bool = False) -> StageResult:
    """Raw snapshot + frame → ``data_clean/<wave>/respondents.parquet`` and ``cleaning_log.json``."""
    snapshot = latest_snapshot(wave)
    for snap in snapshots(wave):
        verify_snapshot(wave, snap)
        summary = snap / "export_summary.json"
        made = json.loads(summary.read_text(encoding="utf-8")).get("source", "") if summary.is_file() else ""
        if wave.config.synthetic is None and str(made).startswith("synthetic"):
            raise PipelineError(
                f"data_raw/{wave.id}/{snap.name} holds synthetic data (rapportage simulate), but surveys/{wave.id}/wave.yaml "
                f"has no key 'synthetic'; remove that folder (and data_raw/{wave.id}/frame.csv if it was simulated too) "
                "before analysing the real responses."
            )
    inputs = raw_files(wave)
    frame_path = wave.raw_dir / "frame.csv"
    if not frame_path.is_file():
        c = wave.cleaning
        raise PipelineError(
            f"data_raw/{wave.id}/frame.csv is missing: the population frame from the registry, one row per invited "
            f"person, is needed to link and weight responses; give it the columns {c.frame_key} (the invitation "
            f"token), {c.age_variable} (age in years) and {', '.join(c.frame_variables)} (with the category codes "
            "of population.yaml); see the README, 'The population frame'."
        )
    out_dir = wave.clean_dir

    def produce() -> dict[Path, bytes]:
        frame = pd.read_csv(frame_path, dtype=str, keep_default_na=False)
        categories = {v: list(wave.population.variables[v].categories) for v in wave.cleaning.frame_variables}
        tables, changed = [], {}
        for survey_id in wave.config.limesurvey.survey_ids:
            check_structure(wave, survey_id)
            combined = combined_responses(wave, survey_id)
            if not combined.snapshots:
                raise PipelineError(f"no snapshot of wave {wave.id!r} holds responses of survey {survey_id}; fetch again.")
            changed[str(survey_id)] = combined.changed
            if combined.rows:  # a survey without responses (yet) adds nothing
                table = responses_table(combined.rows, f"survey {survey_id}")
                extra = cleaning.unknown_columns(table.columns, wave.questionnaire)
                if extra:
                    raise PipelineError(
                        f"survey {survey_id}: the export has column(s) {', '.join(extra[:5])}{' …' if len(extra) > 5 else ''} "
                        f"that questionnaire.yaml does not know; add the question(s) to surveys/{wave.id}/questionnaire.yaml "
                        "so their answers are not dropped unseen."
                    )
                tables.append(table.assign(survey_id=survey_id))
        if not tables:
            raise PipelineError(
                f"data_raw/{wave.id}/ holds no responses for any survey of wave {wave.id!r}; fetch again once responses have come in."
            )
        result = cleaning.clean_responses(
            pd.concat(tables, ignore_index=True), frame, wave.questionnaire, wave.cleaning,
            categories=categories, languages=wave.config.languages, secret=_secret(wave),
            frame_source=f"data_raw/{wave.id}/frame.csv",
        )
        respondents = result.respondents
        validate_respondents(wave, respondents)
        log = cleaning.log_table(result, frame, wave.cleaning.frame_variables, wave.config.languages)
        free_text = result.free_text.sort_values(["respondent_key", "item"])
        fielded = fielded_languages(wave)
        summary = CleaningLog(
            snapshot=snapshot.name,
            snapshots_combined=[p.name for p in snapshots(wave)],
            responses_changed_between_snapshots=changed,
            respondents=len(respondents),
            population=wave.population.total,
            invited=len(frame),
            respondents_by_language=respondents["language"].value_counts(sort=False).astype(int).to_dict(),
            fielded_languages=fielded,
            steps=log[["step", "kind", "action", "description", "count"]].to_dict(orient="records"),
        )
        book = codebook(wave, fielded)
        return {
            out_dir / "respondents.parquet": parquet_with_labels(wave, respondents),
            out_dir / "cleaning_log.json": summary.to_json_bytes(),
            out_dir / "cleaning_log.csv": csv_bytes(log),
            out_dir / "codebook.csv": codebook_csv(book),
            out_dir / "codebook.md": codebook_markdown(wave, book),
            # free text stays with the raw data, for manual coding only (never analysed or published)
            wave.raw_dir / "quarantine" / "free_text.csv": csv_bytes(free_text),
        }

    result = _run(wave, "clean", out_dir / "clean.manifest.json", [*inputs, frame_path], produce, force, ignore=ESTIMATION_ONLY)
    used = [p.name for p in snapshots(wave)]
    note = f"snapshot used: {used[-1]}" + (f" (combined with {', '.join(used[:-1])}; the later one wins per response)"
                                         if len(used) > 1 else "")
    return dataclasses.replace(result, notes=(note,)) if result.ran else result


# --------------------------------------------------------------------------- weight
def weight(wave: Wave, force: bool = False) -> StageResult:
    """Calibrate to the registry margins (optionally from response-propensity weights, with
    trimming) → ``weights.parquet`` and ``weighting.json`` with the diagnostics."""
    respondents_path = wave.clean_dir / "respondents.parquet"
    _require(respondents_path, wave, "clean")
    frame_path = wave.raw_dir / "frame.csv"
    inputs = [respondents_path] + ([frame_path] if frame_path.is_file() else [])

    def produce() -> dict[Path, bytes]:
        respondents = pd.read_parquet(respondents_path)
        frame = pd.read_csv(frame_path, dtype=str, keep_default_na=False) if frame_path.is_file() else None
        weights, report = weight_wave(wave, respondents, frame)
        return {
            wave.clean_dir / "weights.parquet": _parquet(weights),
            wave.clean_dir / "weighting.json": report.to_json_bytes(),
        }

    result = _run(wave, "weight", wave.clean_dir / "weight.manifest.json", inputs, produce, force, ignore=ESTIMATION_ONLY)
    trimming = WeightingReport.read(wave.clean_dir / "weighting.json").trimming
    if trimming is not None and not trimming.cap_met:
        lowest = trimming.lowest_possible_max_relative_to_mean or float("nan")
        why = (f"no weights that meet every margin stay below {lowest:.2f} times the mean"
               if lowest > trimming.upper_relative_to_mean * (1 + 1e-6) else "a higher max_rounds may reach it")
        note = (f"the weights keep the margins but not the cap of {trimming.upper_relative_to_mean:g} times the mean after "
                f"{trimming.rounds} rounds of trimming and calibrating again: the largest weight is "
                f"{trimming.max_relative_to_mean:.2f} times the mean, and {why}. Change "
                f"weighting.trimming in surveys/{wave.id}/population.yaml, or accept it (the report states it).")
        result = dataclasses.replace(result, notes=(*result.notes, note))
    return result


# --------------------------------------------------------------------------- estimate
def design_for(wave: Wave) -> Design:
    """The calibrated survey design of a cleaned and weighted wave."""
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    weights = pd.read_parquet(wave.clean_dir / "weights.parquet")
    if not respondents["respondent_key"].equals(weights["respondent_key"]):
        raise PipelineError(
            f"data_clean/{wave.id}/weights.parquet does not match respondents.parquet; rerun 'rapportage weight'."
        )
    est, cfg = wave.config.estimation, wave.population.weighting
    # trimmed weights that were not calibrated again miss the margins: their variance is that of
    # the weights as given (no calibration residuals), which is mostly a little conservative
    report_path = wave.clean_dir / "weighting.json"
    calibrated = WeightingReport.read(report_path).calibrated if report_path.is_file() else True
    margins = {m: wave.population.margins[m] for m in cfg.margins} if calibrated else None
    try:
        return Design(
            respondents, weights["weight"].to_numpy(),
            calibration=margins, calibration_tolerance=cfg.tolerance,
            design_weights=weights["base_weight"].to_numpy(),
            population_size=wave.population.total if est.fpc != "none" else None,
            fpc="unit" if est.fpc == "unit" else "uniform",
        )
    except ValueError as exc:
        raise PipelineError(f"data_clean/{wave.id}/weights.parquet: {exc}; rerun 'rapportage weight'.") from None


def estimate(wave: Wave, force: bool = False) -> StageResult:
    """Every indicator overall and by group → ``estimates.parquet`` (with the change since the
    baseline wave, judged by the comparability rule) and the series → ``trend.parquet``."""
    from rapportage.stages import series as waves

    # weighting.json says whether the weights are calibrated, which decides the design
    inputs = [wave.clean_dir / "respondents.parquet", wave.clean_dir / "weights.parquet", wave.clean_dir / "weighting.json"]
    _require(inputs[1], wave, "weight")
    chain = series(wave)
    for earlier in chain[:-1]:  # a rerun of an earlier wave reruns this one; so does a change of its configuration
        inputs += [earlier.clean_dir / n for n in ("estimates.parquet", "weighting.json", "respondents.parquet")]
        inputs += earlier.config_files()

    def produce() -> dict[Path, bytes]:
        est = wave.config.estimation
        disclosure = wave.config.disclosure
        design = design_for(wave)
        respondents = pd.read_parquet(inputs[0])
        table = estimate_indicators(design, wave.questionnaire, groups=est.groups,
                                    confidence=est.confidence, min_n=disclosure.min_n,
                                    min_n_percentage=disclosure.min_n_percentage, small_domain_n=est.small_domain_n)
        facts = {wave.id: waves.WaveFacts.of(wave, respondents)}
        table["bias_bound"] = facts[wave.id].bias_bound(table["sd"])
        tables = {wave.id: table}
        for earlier in chain[:-1]:
            path = earlier.clean_dir / "estimates.parquet"
            _require(path, earlier, "estimate")
            tables[earlier.id] = read_table(path, ESTIMATES, f"rapportage run --wave {earlier.id} --force")
            facts[earlier.id] = waves.WaveFacts.of(earlier)
        if len(chain) > 1:
            base = chain[-2]
            pair = waves.compare_pair(base, wave, tables[base.id], table, facts[base.id], facts[wave.id], est.confidence,
                                      wave.config.comparability)
            pair = pair.rename(columns={"estimate_earlier": "baseline_estimate", "p_value": "change_p_value"})
            columns = ["baseline_estimate", "change", "change_se", "change_ci_low", "change_ci_high", "change_p_value",
                       "comparability", "comparability_note", "comparable"]
            table = table.merge(pair[["indicator", "group", "category", *columns]], on=["indicator", "group", "category"], how="left")
            new = table["comparability"].isna()  # no estimate in the baseline wave (a new indicator or category)
            table.loc[new, "comparability"] = waves.NOT_COMPARABLE
            table.loc[new, "comparability_note"] = f"in {base.config.year} niet gemeten"
            table["comparable"] = table["comparability"] != waves.NOT_COMPARABLE
        trend = waves.trend_table(chain, tables, facts)
        reliability = scale_reliability(respondents, wave.questionnaire, est.confidence)
        tests = group_tests(design, wave.questionnaire, groups=est.groups)
        # every group test of the report is one family: adjusted for their number (estimation.multiple_testing)
        tests.insert(tests.columns.get_loc("p_value") + 1, "p_adjusted", adjust_p(tests["p_value"], est.multiple_testing))
        return {wave.clean_dir / "estimates.parquet": _parquet(checked(table, ESTIMATES)),
                wave.clean_dir / "trend.parquet": _parquet(checked(trend, TREND)),
                wave.clean_dir / "group_tests.parquet": _parquet(checked(tests, GROUP_TESTS)),
                wave.clean_dir / "reliability.json": manifest.json_bytes(reliability)}

    return _run(wave, "estimate", wave.clean_dir / "estimate.manifest.json", inputs, produce, force)


# --------------------------------------------------------------------------- render
def render(wave: Wave, force: bool = False) -> StageResult:
    """The Quarto report → ``reports/_output/<wave>/rapportage-inburgering.html``."""
    from rapportage.stages import render as rendering

    inputs = [wave.clean_dir / n for n in ("estimates.parquet", "trend.parquet", "group_tests.parquet", "reliability.json",
                                           "weighting.json", "cleaning_log.json", "codebook.csv")]
    _require(inputs[0], wave, "estimate")
    inputs += [earlier.config_dir / "wave.yaml" for earlier in series(wave)[:-1]]  # their years and titles are printed
    inputs += rendering.source_files(wave.root) + wave.texts()
    target = wave.output_dir / "rapportage-inburgering.html"
    warnings: list[str] = []

    def produce() -> dict[Path, bytes]:
        from rapportage.report.tables import codebook_page

        warnings.extend(researcher_text_warnings(wave))
        rendered = rendering.render_report(wave)
        warnings.extend(rendered.warnings)
        css = (wave.root / "reports" / "style.css").read_text(encoding="utf-8")
        return {target: rendered.html,  # the codebook beside the report, linked from its appendix
                wave.output_dir / "codeboek.html": codebook_page(wave, css),
                wave.output_dir / "codeboek.csv": (wave.clean_dir / "codebook.csv").read_bytes()}

    commit, dirty = manifest.git_state(wave.root)
    result = _run(wave, "render", wave.output_dir / "render.manifest.json", inputs, produce, force,
                  provenance=f"{commit} {dirty}")
    outputs = sorted(result.outputs, key=lambda path: path != target)  # the report first, then the codebook beside it
    return dataclasses.replace(result, outputs=outputs, warnings=tuple(warnings))


def _check_upstream(wave: Wave, inputs: list[Path]) -> None:
    """Refuse inputs that an earlier stage (clean, weight, estimate) wrote but that no longer
    match its manifest: a stage interrupted between two renames leaves its outputs mixed (each
    file whole, but from two runs), and a later stage must not build on them. (Raw snapshots and
    the frame are inputs the researcher manages, checked by the clean stage itself.)"""
    recorded: dict[str, tuple[str, str]] = {}
    for path in wave.clean_dir.glob("*.manifest.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        for name, digest in (record.get("outputs") or {}).items():
            recorded[name] = (record.get("stage", path.name.split(".")[0]), digest)
    for path in inputs:
        try:
            name = manifest.project_path(path, wave.root)
        except ValueError:  # not under the project (an input given by absolute path)
            name = None
        if name in recorded and path.is_file() and manifest.sha256_file(path) != recorded[name][1]:
            stage = recorded[name][0]
            raise PipelineError(
                f"{name} is not the file the {stage} stage recorded (an interrupted run?); "
                f"run 'rapportage {stage} --wave {wave.id}' (or 'rapportage run') first."
            )


def _require(path: Path, wave: Wave, stage: str) -> None:
    if not path.is_file():
        raise PipelineError(f"{path.relative_to(wave.root)} is missing; run 'rapportage {stage} --wave {wave.id}' first.")


@contextlib.contextmanager
def wave_lock(wave: Wave) -> Iterator[list[str]]:
    """One writer per wave at a time: a second one (fetch, import, a stage, export) refuses at
    once instead of writing the same files (an advisory lock on ``data_clean/<wave>/.lock``,
    released when the process ends, also when it is killed). Holding the lock, it removes what
    killed writers left behind (:func:`remove_leftovers`) and yields one note per removal."""
    path = wave.clean_dir / ".lock"
    try:
        wave.clean_dir.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:
        raise PipelineError(f"cannot write in data_clean/{wave.id}/ ({(exc.strerror or str(exc)).lower()}); make the "
                            "folder writable and run again; nothing was changed.") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise PipelineError(
                f"wave {wave.id!r} is being processed by {holder}; wait until that run has finished."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        try:
            yield remove_leftovers(wave)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(wave: Wave) -> list[str]:
    """Remove the unfinished snapshots (``data_raw/<wave>/.incomplete-*``, a copy of raw personal
    data) and the render scratch folders of writers that were killed; call under the wave lock."""
    from rapportage.stages import children

    notes = []
    for folder in sorted(wave.raw_dir.glob(".incomplete-*")) if wave.raw_dir.is_dir() else []:
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            continue
        notes.append(f"removed data_raw/{wave.id}/{folder.name}, an unfinished snapshot of an interrupted fetch or import")
    return notes + children.remove_leftovers()


STAGES: dict[str, Callable[[Wave, bool], StageResult]] = {
    "fetch": fetch, "clean": clean, "weight": weight, "estimate": estimate, "render": render,
}
COMMANDS: dict[str, Callable[[Wave, bool], StageResult]] = {**STAGES, "simulate": simulate}

