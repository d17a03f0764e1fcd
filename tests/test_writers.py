"""Writers of a wave (fetch, import, every stage, export) one at a time, snapshots that are what
their manifest says, and nothing left behind by a writer that was killed: no unfinished copy of
the raw data, no scratch folder, no process still running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.sources import fetch
from rapportage.sources.snapshots import snapshots
from rapportage.stages import pipeline
from typer.testing import CliRunner

from tests.test_import import offline  # noqa: F401 (a fixture)

runner = CliRunner()
SECRET = "a-test-secret-of-enough-length"


@pytest.mark.slow
def test_import_and_export_wait_for_no_one_while_another_writer_holds_the_wave(project, offline):
    wave, export, lss = offline
    with pipeline.wave_lock(wave):
        refused = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(lss)])
        assert refused.exit_code == 1 and "wave 'w2025' is being processed by process" in " ".join(refused.output.split())
        assert snapshots(wave) == [] and [p.name for p in wave.raw_dir.iterdir()] == ["frame.csv"]
    demo = load_wave(project, "demo-2025")
    assert runner.invoke(app, ["run", "--demo", "--root", str(project)]).exit_code == 0
    with pipeline.wave_lock(demo):
        refused = runner.invoke(app, ["export", "--demo", "--root", str(project), "--format", "csv"])
        assert refused.exit_code == 1 and "is being processed by process" in " ".join(refused.output.split())
    assert not (demo.clean_dir / "export").exists()


class _Frozen(datetime):
    """A clock that stands still: every snapshot is made in the same second."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 1, 5, 10, 15, 0, tzinfo=tz)


def test_two_imports_in_one_second_make_two_whole_snapshots(project, offline, monkeypatch):
    wave, export, lss = offline
    other = project / "export2.csv"
    other.write_bytes(export.read_bytes().replace(b'"Y"', b'"N"', 1))
    monkeypatch.setattr(fetch, "datetime", _Frozen)
    for path in (export, other):
        result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(path), str(lss)])
        assert result.exit_code == 0, result.output
    first, second = snapshots(wave)
    assert (first.name, second.name) == ("20260105T101500Z", "20260105T101500Z-2")
    assert (first / "export_482025.csv").read_bytes() == export.read_bytes()
    assert (second / "export_482025.csv").read_bytes() == other.read_bytes()
    for snap in (first, second):
        pipeline.verify_snapshot(wave, snap)


@pytest.mark.parametrize("damage", ["changed", "added", "removed", "unrecorded"])
def test_clean_refuses_a_snapshot_that_is_not_what_its_manifest_says(project, offline, monkeypatch, damage):
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", SECRET)
    wave, export, lss = offline
    assert runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(lss)]).exit_code == 0
    [snap] = snapshots(wave)
    responses = snap / "responses_482025.json"
    if damage == "changed":
        responses.write_bytes(responses.read_bytes().replace(b'"Y"', b'"N"', 1))
    elif damage == "added":
        (snap / "responses_482025_900-901.json").write_bytes(b'{"responses": []}')
    elif damage == "removed":
        responses.unlink()
    else:
        record = json.loads((snap / "manifest.json").read_text())
        del record["files"]
        (snap / "manifest.json").write_text(json.dumps(record))
    result = runner.invoke(app, ["clean", "--wave", "w2025", "--root", str(project)])
    message = " ".join(result.output.split())
    expected = {"changed": "responses_482025.json differs from what was recorded in the snapshot's manifest.json",
                "added": "responses_482025_900-901.json is not listed in the snapshot's manifest.json",
                "removed": "responses_482025.json is missing, though listed in the snapshot's manifest.json",
                "unrecorded": "manifest.json does not record the snapshot's files and their sha256"}[damage]
    assert result.exit_code == 1 and expected in message and f"data_raw/w2025/{snap.name}/" in message, message
    assert not (wave.clean_dir / "respondents.parquet").exists()


def test_the_next_writer_removes_unfinished_snapshots_and_says_so(project, offline):
    wave, export, lss = offline
    stale = wave.raw_dir / ".incomplete-20251101T000000Z-abc123"
    stale.mkdir(parents=True)
    (stale / "export_482025.csv").write_bytes(export.read_bytes())  # personal data, a killed import's copy
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(lss)])
    assert result.exit_code == 0, result.output
    assert f"note: removed data_raw/w2025/{stale.name}, an unfinished snapshot of an interrupted fetch or import" in \
        " ".join(result.output.split())
    assert not stale.exists() and len(snapshots(wave)) == 1


FAKE_QUARTO = """#!/bin/sh
# Stands in for Quarto's process tree: answers --version; on render starts a long child (as Quarto
# starts deno and pandoc) in the scratch folder it was given, says so, and waits.
if [ "$1" = "--version" ]; then echo 1.11.0; exit 0; fi
sleep 300 &
echo $! > "$MARKER"
wait
"""


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.slow
def test_a_killed_render_leaves_no_process_and_no_scratch_folder_after_the_next_run(demo_run, tmp_path):
    wave, _ = demo_run
    import shutil

    root = tmp_path / "project"
    shutil.copytree(wave.root, root)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "quarto").write_text(FAKE_QUARTO)
    (tools / "quarto").chmod(0o755)
    marker = tmp_path / "child.pid"
    scratch_root = tmp_path / "tmp"  # a temp folder of its own: another run's writers must not tidy it first
    scratch_root.mkdir()
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "MARKER": str(marker), "TMPDIR": str(scratch_root)}
    render = subprocess.Popen([sys.executable, "-m", "rapportage.cli", "render", "--demo", "--force", "--root", str(root)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):
            if marker.is_file() and marker.read_text().strip() or render.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.is_file(), render.communicate()[1]
        child = int(marker.read_text())
        scratch = [p for p in scratch_root.glob(f"rapportage-{render.pid}-*")]
        assert len(scratch) == 1 and Path(os.readlink(f"/proc/{child}/cwd")).is_relative_to(scratch[0])
    finally:
        render.send_signal(signal.SIGKILL)
        render.wait()
    time.sleep(0.5)
    assert os.path.exists(f"/proc/{child}")  # the grandchild outlives a SIGKILL (nothing can run on it) ...
    result = subprocess.run([sys.executable, "-m", "rapportage.cli", "weight", "--demo", "--root", str(root)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert f"note: removed {scratch[0]}, left by an interrupted render (stopped 1 process still running in it)" in \
        " ".join(result.stderr.split()), result.stderr
    for _ in range(50):
        if not os.path.exists(f"/proc/{child}") or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{child}") or Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"  # ... until the next run
    assert not scratch[0].exists()


def test_scratch_folders_of_live_processes_are_left_alone_and_only_our_sessions_stopped(tmp_path, monkeypatch):
    from rapportage.stages import children

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # not the machine's shared temp folder
    dead = Path(tempfile.mkdtemp(prefix=f"rapportage-{_dead_pid()}-"))
    alive = Path(tempfile.mkdtemp(prefix=f"rapportage-{os.getppid()}-"))
    ours = subprocess.Popen(["sleep", "60"], cwd=dead, start_new_session=True)
    (dead / children.SESSIONS).write_text(f"{ours.pid}\n")
    shell = subprocess.Popen(["sleep", "60"], cwd=dead)  # e.g. a researcher looking into the folder
    try:
        notes = children.remove_leftovers()
        assert not dead.exists() and alive.exists()
        assert notes == [f"removed {dead}, left by an interrupted render (stopped 1 process still running in it)"]
        assert ours.wait(timeout=10) == -signal.SIGKILL
        assert shell.poll() is None  # not of a recorded session: left alone
    finally:
        for proc in (ours, shell):
            proc.kill()
            proc.wait()
