"""Shared fixtures: a project copy in a temporary folder, and one full demo run in it."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pytest
from rapportage.config import Wave, load_wave
from rapportage.stages import pipeline

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = REPO / "tests" / "data" / "limesurvey"
"""What the tests read of the recordings of a real LimeSurvey 6.4.2 server made for this project
(copied from ``../shared/limesurvey/``; see the README there)."""
SHARED = REPO.parent / "shared"
"""Beside the repository, not in it: LimeSurvey's own public sample surveys are read from here."""


def limesurvey_file(relative: str) -> Path:
    """A file recorded from a real LimeSurvey server, by its path under ``limesurvey/``: from
    tests/data/, except LimeSurvey's public sample surveys (``ls5_…``, ``ls6_…``), which are not
    copied into the repository; the test skips when ``../shared`` does not hold them."""
    if not any(part.startswith(("ls5_", "ls6_")) for part in relative.split("/")):
        return RECORDINGS / relative
    path = SHARED / "limesurvey" / relative
    if not path.is_file():
        pytest.skip(f"LimeSurvey's public sample survey {path.name} is not in the repository and ../shared is absent")
    return path


def copy_project(target: Path) -> Path:
    """Configuration and report sources of the project, without any data."""
    for name in ("surveys", "reports"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("_output", ".quarto", "__pycache__"))
    shutil.copy2(REPO / "_quarto.yml", target / "_quarto.yml")
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Wave, list[pipeline.StageResult]]:
    """The whole pipeline on the newest demo wave, after the earlier waves of its series (to their
    estimates, as 'rapportage run' does), once per test session, in a temporary project."""
    root = copy_project(tmp_path_factory.mktemp("demo_project"))
    wave = load_wave(root, "demo-2025")
    run_earlier_waves(wave)
    results = [stage(wave, False) for stage in pipeline.STAGES.values()]
    return wave, results


def run_earlier_waves(wave: Wave) -> None:
    """The earlier waves of ``wave``'s series to their estimates, as 'rapportage run' does first."""
    for earlier in pipeline.series(wave)[:-1]:
        for name in ("fetch", "clean", "weight", "estimate"):
            pipeline.STAGES[name](earlier, False)


QUARTO = shutil.which("quarto")
needs_quarto = pytest.mark.skipif(QUARTO is None, reason="the Quarto CLI is not on the PATH (it is not on the package "
                                  "registries); the report is rendered by the fallback here")


@pytest.fixture(scope="session")
def demo_reports(demo_run, tmp_path_factory) -> dict[str, Path]:
    """The demo report by each renderer this machine has: ``fallback`` always, ``quarto`` where
    the Quarto CLI is on the PATH (the pipeline's own render is one of them)."""
    from rapportage.stages.render import (
        MAIN_DOCUMENT,
        render_fallback,
        report_metadata,
    )

    wave, results = demo_run
    produced = results[-1].outputs[0]
    reports = {"quarto" if QUARTO else "fallback": produced}
    params = {"wave": wave.id, "root": str(wave.root.resolve())}
    folder = tmp_path_factory.mktemp("reports")
    if QUARTO:
        reports["fallback"] = folder / "fallback.html"
        reports["fallback"].write_bytes(render_fallback(wave.root / MAIN_DOCUMENT, params, report_metadata(wave)).html)
    return reports


@functools.cache
def _demo_files() -> dict[str, bytes]:
    """The demo generator's output for the repository's demo wave (deterministic: made once)."""
    from rapportage.sources import synthetic

    return synthetic.generate(load_wave(REPO, "demo-2025"))


def make_real_wave(project: Path, wave_id: str = "w2025") -> Path:
    """A copy of the demo wave's configuration as a real (non-generated) wave, plus the demo's
    population frame under data_raw/<wave_id>/; returns the wave's raw folder."""
    source = project / "surveys" / "demo-2025"
    target = project / "surveys" / wave_id
    shutil.copytree(source, target)
    text = (target / "wave.yaml").read_text(encoding="utf-8")
    text = text.replace("id: demo-2025", f"id: {wave_id}").split("\nsynthetic:")[0] + "\n"
    text = text.replace("url: null            # the demo is generated, not fetched", "url: null")
    text = re.sub(r"(?m)^baseline_wave:.*$", "baseline_wave: null", text)  # one wave, no series
    (target / "wave.yaml").write_text(text, encoding="utf-8")
    raw = project / "data_raw" / wave_id
    raw.mkdir(parents=True)
    (raw / "frame.csv").write_bytes(_demo_files()["frame.csv"])
    return raw


def demo_export_rows(project: Path) -> list[dict]:
    """The demo wave's responses as LimeSurvey export rows (fresh copies)."""
    import json

    return json.loads(_demo_files()["responses_482025.json"])["responses"]




def seal_snapshot(folder: Path) -> None:
    """Write the manifest a fetch or import writes last: the sha256 of every file in the folder
    (a snapshot made by hand in a test must pass the clean stage's check like a real one)."""
    import hashlib
    import json

    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
             if p.is_file() and p.name != "manifest.json"}
    (folder / "manifest.json").write_text(json.dumps({"files": files}))
