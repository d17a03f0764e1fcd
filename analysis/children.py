"""Child processes (Quarto, pandoc) and scratch folders that are cleaned up on every exit path.

A child runs in its own process group, so it and everything it starts (Quarto starts deno and
pandoc) can be stopped together, and it is told by the kernel to stop when this process dies
(``PR_SET_PDEATHSIG``), also on SIGKILL. Its scratch folder is ``<temp>/rapportage-<pid>-…``:
when this process ends normally it is removed; when it was killed, the next run of any writer
(:func:`remove_leftovers`, called under the wave lock) removes the folder of the dead process and
stops any process still working in it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "rapportage-"
_OWN = re.compile(rf"^{PREFIX}(\d+)-")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the process group is still stopped on every exit path we see


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary folder named after this process, removed on every exit path we see."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run(cmd: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, capture_output=True, text=True)`` in a process group of its own that
    is killed on a time-out, an error or Ctrl-C (raises ``subprocess.TimeoutExpired`` then)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, start_new_session=True, preexec_fn=_die_with_parent,
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    finally:
        _kill_group(proc.pid)  # also what the child left running after it ended
        if proc.poll() is None:
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _working_in(folder: Path) -> list[int]:
    """Processes whose working directory lies in ``folder`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            cwd = Path(os.readlink(entry / "cwd"))
            if cwd == folder or folder in cwd.parents:
                found.append(int(entry.name))
    return found


def remove_leftovers() -> list[str]:
    """Remove the scratch folders of runs that were killed, and stop what still works in them.
    Returns one line per folder removed."""
    notes = []
    for folder in sorted(Path(tempfile.gettempdir()).glob(f"{PREFIX}*")):
        owner = _OWN.match(folder.name)
        if not owner or not folder.is_dir() or int(owner.group(1)) == os.getpid() or _alive(int(owner.group(1))):
            continue
        stopped = _working_in(folder.resolve())
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        notes.append(f"removed {folder}, left by an interrupted render" +
                     (f" (stopped {len(stopped)} process{'es' if len(stopped) > 1 else ''} still running in it)" if stopped else ""))
    return notes
