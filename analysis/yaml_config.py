"""Reading one YAML configuration file into a validated pydantic model."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from analysis.errors import PipelineError


def load_yaml_model(path: Path, model: type[BaseModel]) -> BaseModel:
    """Read ``path`` and validate it as ``model``; errors name the file and the key."""
    if not path.is_file():
        raise PipelineError(f"{path}: file not found; every wave folder needs it.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise PipelineError(f"{path}: is not valid YAML{where}; fix the syntax.") from None
    if not isinstance(data, dict):
        raise PipelineError(f"{path}: expected a mapping of keys at the top level.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")  # typos first
        err = errors[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            raise PipelineError(f"{path}: unknown key '{key}'; check its spelling or remove it.") from None
        raise PipelineError(f"{path}: key '{key}': {err['msg']}.") from None
