"""What each stage read and wrote: sha256 of files, manifests, atomic writes, skip-if-current.

A stage's manifest (JSON, next to its outputs) records its inputs (paths relative to the project
root + sha256), the hash of the wave's configuration, the package version and a hash of the
package's source code, and its outputs with their sha256. A stage whose manifest matches all of
these, and whose outputs are still there unchanged, is not redone.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import rapportage
from rapportage import __version__
from rapportage.errors import PipelineError, shown

_PACKAGE_DIR = Path(rapportage.__file__).parent
_UMASK = os.umask(0)
os.umask(_UMASK)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_sha256() -> str:
    """Hash of the package's sources (Python, and the script the renderer inlines): a code
    change invalidates earlier outputs."""
    h = hashlib.sha256()
    for path in sorted([*_PACKAGE_DIR.rglob("*.py"), *_PACKAGE_DIR.rglob("*.js")]):
        h.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename,
    so an interrupted write never leaves a half-written file in place of an earlier one."""
    atomic_write_all({path: data})


def atomic_write_all(files: dict[Path, bytes]) -> None:
    """Write several outputs: every temporary file is written and synced before the first
    rename, so an interruption while writing leaves every earlier file in place, and the
    renames follow each other within milliseconds. A stage whose outputs end up mixed (killed
    between two renames) no longer matches its manifest, so the next run redoes it."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
                temps.append((tmp, path))
                os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as exc:  # read-only share, full disk, no such device: before any rename
                raise PipelineError(
                    f"cannot write {shown(path)}: {(exc.strerror or str(exc)).lower()}; make {shown(path.parent)}/ "
                    "writable (or free space on its disk) and run again; nothing was changed."
                ) from None
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(paths: list[Path]) -> None:
    """Remove temporary files that a write killed before its rename left behind (SIGKILL
    cannot be caught); called before a stage writes the same outputs again, under the wave lock."""
    for path in paths:
        for tmp in path.parent.glob(f".{path.name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def git_state(root: Path) -> tuple[str, bool]:
    """The git commit of ``root`` (12 characters; "" outside a repository) and whether the code,
    report or configuration differ from it (tracked changes or new files in analysis/,
    reports/, surveys/, _quarto.yml). Shown in the report's colophon."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short=12", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=normal", "--", "analysis", "reports", "surveys", "_quarto.yml")
    return commit, bool(commit and changed)


def json_bytes(obj: object) -> bytes:
    """Deterministic JSON (sorted keys, UTF-8, trailing newline) for manifests and diagnostics."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=float) + "\n").encode("utf-8")


def project_path(path: Path, root: Path) -> str:
    """``path`` as the project knows it ('data_raw/2025/…'), relative to ``root`` without following
    symbolic links: a data folder may be a link to a secured drive elsewhere."""
    return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()


def build(stage: str, wave: str, root: Path, inputs: list[Path], outputs: list[Path], config_sha256: str) -> dict:
    """The manifest of a stage run."""
    rel = lambda p: project_path(p, root)  # noqa: E731
    return {
        "stage": stage,
        "wave": wave,
        "package_version": __version__,
        "code_sha256": code_sha256(),
        "config_sha256": config_sha256,
        "inputs": {rel(p): sha256_file(p) for p in inputs},
        "outputs": {rel(p): sha256_file(p) for p in outputs},
    }


def is_current(manifest_path: Path, root: Path, inputs: list[Path], config_sha256: str) -> bool:
    """True when the recorded run used the same inputs, configuration and code, and its
    outputs are still present with the recorded content."""
    if not manifest_path.is_file() or not all(p.is_file() for p in inputs):
        return False
    try:
        recorded = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    rel = lambda p: project_path(p, root)  # noqa: E731
    if (
        recorded.get("code_sha256") != code_sha256()
        or recorded.get("package_version") != __version__
        or recorded.get("config_sha256") != config_sha256
        or recorded.get("inputs") != {rel(p): sha256_file(p) for p in inputs}
    ):
        return False
    for name, digest in recorded.get("outputs", {}).items():
        path = root / name
        if not path.is_file() or sha256_file(path) != digest:
            return False
    return True
