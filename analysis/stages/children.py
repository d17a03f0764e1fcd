"""Child processes (Quarto, pandoc) and scratch folders that are cleaned up on every exit path.

A child runs in its own process group, so it and everything it starts (Quarto starts deno and
pandoc) can be stopped together, and it is told by the kernel to stop when this process dies
(``PR_SET_PDEATHSIG``), also on SIGKILL; what the child started itself survives a SIGKILL of this
process. Its scratch folder is ``<temp>/rapportage-<pid>-…``: when this process ends normally it
is removed; when it was killed, the next run of any writer (:func:`remove_leftovers`, called under
the wave lock) removes the folder of the dead process and stops the processes still working in
it, but only those of the sessions our children started (recorded in the folder), never, say, a
researcher's shell that happens to be in it.
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
from collections.abc import Callable, Iterator
from pathlib import Path

PREFIX = "rapportage-"
_OWN = re.compile(rf"^{PREFIX}(\d+)-")
PR_SET_PDEATHSIG = 1


SESSIONS = ".sessions"
_PRCTL: Callable[..., int] | None
try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: nothing but the call runs in the child
except (OSError, AttributeError):  # not Linux: the process group is still stopped on every exit path we see
    _PRCTL = None


def _die_with(parent: int):
    def prepare() -> None:  # pragma: no cover - runs in the child, between fork and exec
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the call above
            os._exit(1)
    return prepare


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary folder named after this process, removed on every exit path we see."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run(cmd: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None,
        input: str | None = None, scratch: Path | None = None) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, capture_output=True, text=True)`` in a session and process group of
    its own that is killed on a time-out, an error or Ctrl-C (raises ``subprocess.TimeoutExpired``
    then). The session is recorded in ``scratch`` (the child's working folder lies in it)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, start_new_session=True, preexec_fn=_die_with(os.getpid()),
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if scratch is not None:
        with contextlib.suppress(OSError), (scratch / SESSIONS).open("a") as sessions:
            sessions.write(f"{proc.pid}\n")
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


def _working_in(folder: Path, sessions: set[int]) -> list[int]:
    """Processes of ``sessions`` whose working directory lies in ``folder`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            session = int((entry / "stat").read_text().rpartition(")")[2].split()[3])
            cwd = Path(os.readlink(entry / "cwd"))
            if session in sessions and (cwd == folder or folder in cwd.parents):
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
        sessions = set()
        with contextlib.suppress(OSError, ValueError):
            sessions = {int(line) for line in (folder / SESSIONS).read_text().split()}
        stopped = _working_in(folder.resolve(), sessions)
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():  # not ours to remove (another user's): say nothing
            continue
        notes.append(f"removed {folder}, left by an interrupted render" +
                     (f" (stopped {len(stopped)} process{'es' if len(stopped) > 1 else ''} still running in it)" if stopped else ""))
    return notes
