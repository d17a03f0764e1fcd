"""Next year's wave from this year's: ``rapportage new-wave <id> --from <previous>``.

The new wave gets the previous wave's questionnaire (same item ids, so its indicators can be
compared), cleaning rules and weighting scheme, with ``baseline_wave`` set to the previous wave.
What must be the new wave's own is written as the placeholder ``FILL IN``, which every stage and
``validate`` refuse by file and key until it is filled in: the title, the fieldwork dates, the
LimeSurvey survey id and the reference date of the registry margins. The files are copied as text
and only those lines are changed, so the researcher's comments stay.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.yaml_config import PLACEHOLDER

COPIED = ("questionnaire.yaml", "cleaning.yaml", "population.yaml", "wave.yaml")


def new_wave(root: Path, wave_id: str, previous: str) -> list[str]:
    """Write ``surveys/<wave_id>/`` from ``surveys/<previous>/``; returns what the researcher must
    do next, one line each. Nothing is written when a check fails."""
    if not re.fullmatch(r"[a-z0-9_-]+", wave_id):
        raise PipelineError(f"new wave id {wave_id!r}: use lower-case letters, digits, '-' and '_' only (e.g. 2026).")
    target = root / "surveys" / wave_id
    if target.exists():
        raise PipelineError(f"surveys/{wave_id}/ exists already; choose another id or remove that folder first.")
    source = load_wave(root, previous)  # the previous wave must itself be valid
    texts = {name: (source.config_dir / name).read_text(encoding="utf-8") for name in COPIED}
    if (source.config_dir / "references.yaml").is_file():  # optional: benchmarks and registry figures
        references = (source.config_dir / "references.yaml").read_text(encoding="utf-8")
        # last year's registry count must not pass for this year's: its date is to be filled in
        texts["references.yaml"] = re.sub(r"^(\s+date:)\s*\S.*$", rf"\1 {PLACEHOLDER}", references, flags=re.M)
    for path in sorted((source.config_dir / "translations").glob("*.yaml")):  # the translations, statuses and all
        texts[f"translations/{path.name}"] = path.read_text(encoding="utf-8")
    texts["wave.yaml"] = _wave_yaml(texts["wave.yaml"], wave_id, previous, source.config.year + 1)
    texts["population.yaml"] = _population_yaml(texts["population.yaml"], previous)
    staging = root / "surveys" / f".new-{wave_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, text in texts.items():
        (staging / name).parent.mkdir(exist_ok=True)
        (staging / name).write_text(text, encoding="utf-8")
    staging.rename(target)  # all files or none
    return [
        f"surveys/{wave_id}/wave.yaml: fill in title, fieldwork.start, fieldwork.end and limesurvey.survey_ids "
        f"(every '{PLACEHOLDER}'); check year ({source.config.year + 1}) and languages.",
        f"surveys/{wave_id}/population.yaml: fill in reference_date and replace total and every margin by this "
        f"year's registry counts (they are still those of {previous}).",
        *([f"surveys/{wave_id}/references.yaml: check that each reference figure is still the latest published, and "
           f"replace the registry counts by this year's (they are still those of {previous}) and fill in their date."]
          if "references.yaml" in texts else []),
        f"rapportage lss --wave {wave_id}: the survey file to import into LimeSurvey (questionnaire.yaml is "
        f"{previous}'s: change an item's wording only on purpose, the report then stops comparing it).",
        f"rapportage validate --wave {wave_id}: lists every key still to fill in, and what differs from {previous}.",
        f"after the fieldwork: rapportage run --wave {wave_id}.",
    ]


def _replace(text: str, pattern: str, line: str, file: str) -> str:
    new, count = re.subn(pattern, line, text, count=1, flags=re.M)
    if not count:
        raise PipelineError(f"{file}: no line matches {pattern!r}; write the new wave's file by hand from the previous one.")
    return new


def _wave_yaml(text: str, wave_id: str, previous: str, year: int) -> str:
    f = "wave.yaml"
    text = _replace(text, r"^id:.*$", f"id: \"{wave_id}\"", f)
    text = _replace(text, r"^title:.*$", f"title: {PLACEHOLDER}", f)
    text = _replace(text, r"^year:.*$", f"year: {year}", f)
    if re.search(r"^fieldwork:\s*\{", text, flags=re.M):
        text = _replace(text, r"^fieldwork:.*$", f"fieldwork: {{start: {PLACEHOLDER}, end: {PLACEHOLDER}}}", f)
    else:
        text = _replace(text, r"^(\s+)start:.*$", rf"\g<1>start: {PLACEHOLDER}", f)
        text = _replace(text, r"^(\s+)end:.*$", rf"\g<1>end: {PLACEHOLDER}", f)
    text = _replace(text, r"^(\s+)survey_ids:.*$", rf"\g<1>survey_ids: [{PLACEHOLDER}]", f)
    if re.search(r"^publication:", text, flags=re.M):  # last year's publication date is not this year's
        text = re.sub(r"^(\s+date:).*$", rf"\1 {PLACEHOLDER}", text, count=1, flags=re.M)
    text = re.sub(r"^(\s+url:\s*null)\s*#.*$", r"\1                 # or LIMESURVEY_URL in the environment", text, flags=re.M)
    if re.search(r"^baseline_wave:", text, flags=re.M):
        text = _replace(text, r"^baseline_wave:.*$", f"baseline_wave: \"{previous}\"", f)
    else:
        text = text.rstrip("\n") + f"\nbaseline_wave: \"{previous}\"\n"
    # a new wave is a real measurement: the generator's settings do not come along
    text = re.sub(r"^synthetic:.*\n(?:(?:[ \t]+.*)?\n?)*", "", text, flags=re.M)
    return f"# Made by 'rapportage new-wave' from surveys/{previous}/: fill in every '{PLACEHOLDER}'.\n" + text


def _population_yaml(text: str, previous: str) -> str:
    text = _replace(text, r"^reference_date:.*$", f"reference_date: {PLACEHOLDER}", "population.yaml")
    return (f"# Made by 'rapportage new-wave' from surveys/{previous}/: the total and the margins below are still "
            f"{previous}'s;\n# replace them by the registry counts at the new reference date.\n" + text)
