"""The bad-input corpus: configuration, exports and servers a researcher will meet. Every case
runs the real command line and must (1) exit with code 1 and one sentence starting with
"error:" that names the file, key or survey and what to do, (2) leave the project's data and
outputs byte for byte as they were (hashed before and after), and (3) leave no temporary or
half-written file behind."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from rapportage.cli import app
from typer.testing import CliRunner

runner = CliRunner()
TREES = ("data_raw", "data_clean", "reports/_output", "surveys")


def tree_hash(root: Path) -> dict[str, str]:
    """sha256 of every file under the data, output and configuration folders."""
    out = {}
    for folder in TREES:
        for p in sorted((root / folder).rglob("*")):
            if p.is_file() and p.name != ".lock":
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith((".incomplete", ".tmp"))]


def assert_refused(root: Path, args: list[str], message: str, env: dict | None = None, secrets: tuple[str, ...] = ()) -> str:
    """Run ``rapportage *args --root root`` and check the three promises of a refusal (and that
    none of ``secrets`` is shown)."""
    before = tree_hash(root)
    result = runner.invoke(app, [*args, "--root", str(root)], env=env)
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # no unhandled exception
    assert result.exit_code == 1, result.output
    errors = [" ".join(line.split()) for line in " ".join(result.output.split("\n")).split("error: ")[1:]]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert re.search(message, errors[0]), errors[0]
    assert not [s for s in secrets if s in result.output]
    assert tree_hash(root) == before  # nothing written, nothing lost
    assert leftovers(root) == []
    return errors[0]


@pytest.fixture
def finished(demo_run, tmp_path) -> Path:
    """A copy of a project in which the whole demo pipeline has run (snapshot, clean data,
    estimates, report), to be damaged in one way per case."""
    wave, _ = demo_run
    root = tmp_path / "project"
    shutil.copytree(wave.root, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
