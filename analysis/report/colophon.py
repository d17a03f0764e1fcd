"""The colophon: where every number comes from (code, configuration and raw data hashes, software
versions) and the command that reproduces the report.
"""

from __future__ import annotations

import json

from rapportage.report.data import ReportData
from rapportage.report.formatting import show
from rapportage.report.markup import md

# every package whose version can change a number or the look of the report (requirements.lock has all)
SHAPING_PACKAGES = ("rapportage-inburgering", "pandas", "numpy", "scipy", "statsmodels", "pingouin", "pyarrow",
                    "matplotlib", "seaborn", "great_tables", "pypandoc-binary", "nbclient", "ipykernel")


def colophon(data: ReportData, renderer: str = "") -> None:
    """Where every number comes from: code version, configuration and raw data hashes, the
    software that made it (Python, every package that shapes the output, the renderer) and the
    command that reproduces the report (read from the stages' manifests)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from rapportage.manifest import git_state, sha256_file
    from rapportage.sources.snapshots import snapshots

    wave = data.wave
    commit, changed = git_state(wave.root)
    commit = commit or "niet in een git-repository"
    dirty = " (met niet-vastgelegde wijzigingen in code of configuratie)" if changed else ""
    manifest = json.loads((wave.clean_dir / "estimate.manifest.json").read_text(encoding="utf-8"))
    raw = [f"`{p.name}` (manifest sha256 `{sha256_file(p / 'manifest.json')[:16]}…`)" for p in snapshots(wave)]

    def v(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "–"

    packages = ", ".join(f"{p} {v(p)}" for p in SHAPING_PACKAGES)
    lines = [
        f"- Code: git-commit `{commit}`{dirty}; pakket `rapportage-inburgering` {manifest['package_version']} "
        f"(broncode sha256 `{manifest['code_sha256'][:16]}…`).",
        f"- Configuratie `surveys/{wave.id}/`: sha256 `{manifest['config_sha256'][:16]}…`.",
        f"- Ruwe gegevens: {', '.join(raw) or 'geen snapshot'}.",
        f"- Software: Python {platform.python_version()}; {packages}" + (f"; opgemaakt met {md(renderer)}" if renderer else "")
        + ". Alle versies staan in `requirements.lock`.",
        f"- Opnieuw maken: `rapportage run --wave {wave.id}`"
        + (" (de synthetische demonstratiereeks: `make report`)." if wave.config.synthetic is not None and wave.id.startswith("demo-") else "."),
    ]
    show("\n".join(lines))
