"""Shared fixtures: a project copy in a temporary folder, and one full demo run in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.config import Wave, load_wave

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


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
    """The whole pipeline on the demo wave, once per test session, in a temporary project."""
    root = copy_project(tmp_path_factory.mktemp("demo_project"))
    wave = load_wave(root, "demo")
    results = [stage(wave, False) for stage in pipeline.STAGES.values()]
    return wave, results
