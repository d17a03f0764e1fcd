"""Reading one YAML configuration file into a validated pydantic model.

The YAML is read strictly, so that no value is read silently other than it was meant:

- a key given twice is refused (YAML would keep the last one);
- only ``true`` and ``false`` are booleans; ``yes``, ``no``, ``on`` and ``off`` are text (YAML 1.1
  reads ``no``, the language code of Norwegian, as false);
- a whole number with a leading zero (``010``, which YAML 1.1 reads as octal 8), in base 2 or in
  base 60 (``1:30`` is 90) is refused: write it as a plain decimal number, or quote it if it is text;
- a yes/no value where a number is expected is refused (pydantic would read ``true`` as 1).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from rapportage.errors import PipelineError, shown

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_PLAIN_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_HEX_INT = re.compile(r"^[-+]?0x[0-9a-fA-F_]+$")


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with the rules of the module docstring."""


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))


M = TypeVar("M", bound=BaseModel)

def _construct_int(loader: StrictLoader, node: yaml.ScalarNode) -> int:
    value = loader.construct_scalar(node)
    if _PLAIN_INT.match(value):
        return int(value.replace("_", ""))
    if _HEX_INT.match(value):
        return int(value.replace("_", ""), 16)
    raise yaml.constructor.ConstructorError(
        None, None, f"{value} would be read as a number in another base (YAML 1.1: a leading zero is octal, "
        "'1:30' is base 60); write it as a plain decimal number, or in quotes if it is text", node.start_mark)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool, type(None))):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain word or number", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (also at line {seen[key].line + 1}); keep one", key_node.start_mark)
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def read_yaml(text: str):
    """``text`` read with :class:`StrictLoader` (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader with stricter rules


def _numeric(annotation) -> bool:
    """True for ``int``, ``float`` and optional forms of them (not when bool is allowed too)."""
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = set(typing.get_args(annotation))
        return bool(args & {int, float}) and bool not in args
    return False


def _yes_no_for_a_number(annotation, value) -> str | None:
    """Where in ``value`` a yes/no value stands for a number of ``annotation``: '' for the value
    itself, ' item 2' or ' Z' inside lists, tuples and mappings (' status gezin' when nested), or
    None when nowhere."""
    if typing.get_origin(annotation) is typing.Annotated:  # NonNegativeInt and the like
        return _yes_no_for_a_number(typing.get_args(annotation)[0], value)
    if isinstance(value, bool):
        return "" if _numeric(annotation) else None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        found = (_yes_no_for_a_number(arg, value) for arg in args if arg is not type(None))
        return next((where for where in found if where is not None), None)
    if isinstance(value, (list, tuple)) and origin in (list, tuple, set, frozenset) and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            pairs: Iterable[tuple[Any, Any]] = zip(args, value)
        else:
            pairs = ((args[0], item) for item in value)
        for index, (arg, item) in enumerate(pairs):
            where = _yes_no_for_a_number(arg, item)
            if where is not None:
                return f" item {index + 1}{where}"
    if isinstance(value, dict) and origin is dict and len(args) == 2:
        for key, item in value.items():
            if isinstance(key, bool) and _numeric(args[0]):  # {true: 1} where the keys are numbers
                return f" key {str(key).lower()}"
            where = _yes_no_for_a_number(args[1], item)
            if where is not None:
                return f" {key}{where}"
    return None


class StrictModel(BaseModel):
    """Base of every configuration model: unknown keys refused, frozen, no yes/no for a number
    (also not inside a list or mapping of numbers, such as the population margins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no_for_a_number(cls, value, info: ValidationInfo):
        if not info.field_name:
            return value
        where = _yes_no_for_a_number(cls.model_fields[info.field_name].annotation, value)
        if where == "":
            raise ValueError(f"expected a number, not the yes/no value {str(value).lower()}")
        if where is not None:
            raise ValueError(f"expected a number at{where}, not a yes/no value")
        return value


PLACEHOLDER = "FILL IN"
"""What ``rapportage new-wave`` writes where the new wave needs its own value (fieldwork dates,
the registry's reference date, the LimeSurvey survey id): every stage refuses it, by key."""


def placeholders(data: object, where: str = "") -> list[str]:
    """The keys (dotted) whose value is still :data:`PLACEHOLDER`, in file order."""
    if isinstance(data, dict):
        return [k for key, value in data.items() for k in placeholders(value, f"{where}.{key}" if where else str(key))]
    if isinstance(data, list):
        return [k for n, value in enumerate(data) for k in placeholders(value, f"{where}.{n}")]
    return [where] if data == PLACEHOLDER else []


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; errors name the file and the key."""
    if not path.is_file():
        raise PipelineError(f"{shown(path)}: file not found; every wave folder needs it.")
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise PipelineError(f"{shown(path)}: at line {mark.line + 1}, {exc.problem}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None)
        reason = f" ({problem})" if problem else ""
        raise PipelineError(f"{shown(path)}: is not valid YAML{where}{reason}; fix the syntax.") from None
    if not isinstance(data, dict):
        raise PipelineError(f"{shown(path)}: expected a mapping of keys at the top level.")
    unfilled = placeholders(data)
    if unfilled:
        more = f" (and {', '.join(unfilled[1:])})" if len(unfilled) > 1 else ""
        raise PipelineError(f"{shown(path)}: key '{unfilled[0]}'{more} is still {PLACEHOLDER!r}; fill it in for this wave "
                            "(README: 'A new wave').")
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
