"""Reading one YAML configuration file into a validated pydantic model."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from analysis.errors import PipelineError, shown


def load_yaml_model(path: Path, model: type[BaseModel]) -> BaseModel:
    """Read ``path`` and validate it as ``model``; errors name the file and the key."""
    if not path.is_file():
        raise PipelineError(f"{shown(path)}: file not found; every wave folder needs it.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None)
        reason = f" ({problem})" if problem else ""
        raise PipelineError(f"{shown(path)}: is not valid YAML{where}{reason}; fix the syntax.") from None
    if not isinstance(data, dict):
        raise PipelineError(f"{shown(path)}: expected a mapping of keys at the top level.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")  # typos first
        err = errors[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise PipelineError(f"{shown(path)}: unknown key '{key}'; check its spelling or remove it.") from None
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] != "value_error":  # pydantic's wording of a wrong type or value: say what to do
            message += f" (got {err['input']!r}); correct the value" if not isinstance(err["input"], (dict, list)) else "; correct the value"
        where = f"key '{key}': " if key else ""
        raise PipelineError(f"{shown(path)}: {where}{message}.") from None
