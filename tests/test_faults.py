"""Interrupting a stage: SIGKILL while a file is being written, SIGKILL between two renames, and
Ctrl-C (a real SIGINT) while writing. The stage runs in a separate process whose
``rapportage.manifest`` sees an ``os`` that delivers the signal at the chosen moment; everything
else is the real code. Afterwards every file is either its earlier or its new version (never
half-written), and the next ordinary run finishes the stage and removes what a killed write
left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from tests.bad_inputs.conftest import edit, leftovers

INJECT = textwrap.dedent('''
    import os, signal, sys
    from rapportage import manifest
    mode = sys.argv[1]

    class Signalling:
        """os for rapportage.manifest only: the signal arrives at the chosen moment."""
        renames = 0
        def __getattr__(self, name):
            return getattr(os, name)
        def fdopen(self, fd, *args, **kwargs):
            f = os.fdopen(fd, *args, **kwargs)
            if mode == "sigkill-while-writing":
                real_write = f.write
                def write(data):
                    real_write(data[: len(data) // 2]); f.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
                f.write = write
            return f
        def fsync(self, fd):
            if mode == "hold":  # a long stage: wait (holding the wave's lock) until killed
                import pathlib, time
                pathlib.Path(sys.argv[-1], "holding").write_text(str(os.getpid()))
                time.sleep(120)
            if mode == "sigint-while-writing":
                os.kill(os.getpid(), signal.SIGINT)
            return os.fsync(fd)
        def replace(self, src, dst):
            Signalling.renames += 1
            if mode == "sigkill-between-renames" and Signalling.renames == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return os.replace(src, dst)

    manifest.os = Signalling()
    from rapportage.cli import app
    sys.argv = ["rapportage", *sys.argv[2:]]
    app()
''')

FOLDERS = ("data_raw", "data_clean", "reports/_output")


def files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for f in FOLDERS for p in sorted((root / f).rglob("*"))
            if p.is_file() and p.name != ".lock" and not p.name.endswith(".tmp")}


def rapportage(root, *args, inject: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", INJECT, inject] if inject else [sys.executable, "-m", "rapportage.cli"]
    return subprocess.run([*cmd, *args, "--demo", "--root", str(root)], capture_output=True, text=True, timeout=600)


CHANGES = {  # a change of input per stage, so that its new outputs differ from the earlier ones
    "clean": ("surveys/demo-2025/cleaning.yaml", "min_age: 18", "min_age: 19"),
    "estimate": ("surveys/demo-2025/wave.yaml", "confidence: 0.95", "confidence: 0.90"),
    "render": ("reports/style.css", "line-height: 1.55;", "line-height: 1.6;"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "mode"), [
    ("clean", "sigkill-while-writing"), ("clean", "sigkill-between-renames"), ("clean", "sigint-while-writing"),
    ("estimate", "sigkill-between-renames"), ("render", "sigkill-while-writing"),
])
def test_an_interrupted_stage_leaves_every_file_whole_and_the_next_run_finishes(demo_run, tmp_path, stage, mode):
    wave, _ = demo_run
    root = tmp_path / "project"
    shutil.copytree(wave.root, root)
    before = files(root)
    edit(root / CHANGES[stage][0], *CHANGES[stage][1:])

    killed = rapportage(root, stage, inject=mode)
    if mode.startswith("sigkill"):
        assert killed.returncode == -9, killed.stderr
        assert leftovers(root)  # what a killed write leaves: a temporary file, never the output itself
    else:
        assert killed.returncode == 130 and "interrupted: no file was left half-written" in killed.stderr, killed.stderr
        assert leftovers(root) == []  # Ctrl-C cleans up after itself
    during = files(root)
    if mode == "sigkill-between-renames":  # mixed outputs: the next stage must not build on them
        following = {"clean": "weight", "estimate": "render"}[stage]
        refused = rapportage(root, following)
        assert refused.returncode == 1 and f"is not the file the {stage} stage recorded (an interrupted run?)" in \
            " ".join(refused.stderr.split()), refused.stderr
        assert files(root) == during

    finished = rapportage(root, stage)
    assert finished.returncode == 0 and f"{stage}: done" in finished.stderr, finished.stderr
    after = files(root)
    assert leftovers(root) == []  # what SIGKILL left behind is gone
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed, "the change of input should change the stage's outputs"
    for name, data in during.items():  # each file was whole: its earlier or its new version
        assert data in (before.get(name), after.get(name)), name
    assert set(during) == set(before)  # nothing appeared, nothing vanished
    if mode != "sigkill-between-renames":
        assert during == before  # interrupted before the first rename: all earlier outputs intact
    else:
        mixed = [n for n in during if during[n] != before[n]]
        manifest = f"data_clean/demo-2025/{stage}.manifest.json"
        assert mixed and during[manifest] == before[manifest]  # not yet recorded as done


@pytest.mark.slow
def test_a_second_run_of_the_same_wave_refuses_while_the_first_writes_and_a_killed_run_frees_it(demo_run, tmp_path):
    wave, _ = demo_run
    root = tmp_path / "project"
    shutil.copytree(wave.root, root)
    first = subprocess.Popen([sys.executable, "-c", INJECT, "hold", "clean", "--demo", "--force", "--root", str(root)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if (root / "holding").exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert (root / "holding").exists(), first.communicate()[1]
        before = files(root)
        second = rapportage(root, "run")
        assert second.returncode == 1
        assert f"error: wave 'demo-2025' is being processed by process {first.pid}; wait until that run has finished." in \
            " ".join(second.stderr.split())
        assert files(root) == before  # the second run wrote nothing
    finally:
        first.kill()
        first.wait()
    third = rapportage(root, "clean", "--force")  # the kernel released the killed run's lock
    assert third.returncode == 0 and "clean: done" in third.stderr, third.stderr
    assert leftovers(root) == []
