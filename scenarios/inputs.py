"""Declared input types: every file a user writes is checked against one, all errors at once.

Scenario, plan, organization and experiment files are TOML read into
pydantic models derived from :class:`Declared`. A model gives, from one
declaration, the checks (every problem in a file reported together, each on
one line naming the file, the field path and what is allowed, with "did you
mean" for a misspelt key), the JSON Schema shipped for editors, and the
tables of the docs. Errors are :class:`InputError`, a library error: the
command line only prints them.
"""

from __future__ import annotations

import difflib
import json
import math
import stat
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, ValidationError

from sim.params import ParameterError


class InputError(ParameterError):
    """Bad input from a user: one or more problems, each one line (file, field, what is allowed).

    ``str(err)`` is the problems joined by newlines; the command line prints
    them and exits with code 2.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))

    def within(self, prefix: str) -> InputError:
        """The same problems, each prefixed (e.g. with the file that referred to this one)."""
        return InputError([f"{prefix}: {p}" for p in self.problems])


Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=100)]
"""A department or plan name: letters, digits, ``_`` or ``-``."""

Seed = Annotated[int, Field(ge=0, lt=2**63)]


class Declared(BaseModel):
    """Base of every declared input: unknown keys refused, TOML types taken as written."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def either(
    first: Any, is_first: Callable[[Any], bool], second: Any, is_second: Callable[[Any], bool], what: str
) -> Any:
    """A field that is one of two shapes (e.g. ``"all"`` or a list), with one error naming both.

    Parameters
    ----------
    what : str
        What is allowed, as the error says it (``must be 'all' or a list of names``).
    """

    def shape(value: Any) -> str | None:
        return "<first>" if is_first(value) else "<second>" if is_second(value) else None

    return Annotated[
        Union[Annotated[first, Tag("<first>")], Annotated[second, Tag("<second>")]],  # noqa: UP007
        Discriminator(shape, custom_error_type="shape", custom_error_message=what),
    ]


def check[M: BaseModel](model: type[M], data: Any, source: str, prefix: str = "") -> M:
    """Validate parsed TOML against a declared model.

    Raises
    ------
    InputError
        With one line per problem: ``SOURCE: PATH=VALUE: what is allowed``.
    """
    try:
        # JSON mode: arrays are accepted for tuples, ints for floats, but never strings for numbers
        return model.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as err:
        raise InputError(problem_lines(err, model, source, prefix)) from None


def problem_lines(err: ValidationError, model: type[BaseModel], source: str, prefix: str = "") -> list[str]:
    """One line per validation error, in file order, duplicates dropped."""
    lines: list[str] = []
    for e in err.errors(include_url=False):
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith(("<", "[")))]
        path = prefix + _path(loc)
        line = f"{source}: {path}{_shown(e)}: {_allowed(e, model, loc)}"
        if line not in lines:
            lines.append(line)
    return lines


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(e: Any) -> str:
    if e["type"] in ("missing", "extra_forbidden") or isinstance(e["input"], (dict, BaseModel)):
        return ""
    value = e["input"]
    if isinstance(value, float) and not math.isfinite(value):
        return f"={value}"
    text = repr(value)
    return f"={text}" if len(text) <= 60 else f"={text[:57]}..."


MESSAGES = {
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dataclass_type": "must be a table",
    "finite_number": "must be a finite number",
    "string_pattern_mismatch": "must be letters, digits, '_' or '-'",
    "missing": "missing; required",
}


def _allowed(e: Any, model: type[BaseModel], loc: Sequence[str | int]) -> str:
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind == "extra_forbidden":
        return unknown_key_message(str(loc[-1]), _known_keys(model, loc[:-1]))
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
        return f"must be {sign[kind]} {_number(ctx[next(iter(ctx))])}" + _unit(model, loc)
    if kind == "literal_error":
        return f"allowed: {ctx.get('expected', '')}".replace("'", "")
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length", ctx.get("max_length"))
        return f"needs {'at least' if kind == 'too_short' else 'at most'} {n} item{'' if n == 1 else 's'}"
    if kind == "value_error":
        return str(ctx.get("error", e["msg"]))
    if kind in MESSAGES:
        return MESSAGES[kind] + (_unit(model, loc) if kind.startswith(("int", "float")) else "")
    return e["msg"][0].lower() + e["msg"][1:]


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


def _unit(model: type[BaseModel], loc: Sequence[str | int]) -> str:
    field = _field(model, loc)
    unit = (
        (field.json_schema_extra or {}).get("unit")
        if field and isinstance(field.json_schema_extra, dict)
        else None
    )
    return f" ({unit})" if unit else ""


def _field(model: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """The pydantic FieldInfo at ``loc``, following nested models through lists and tables."""
    current: Any = model
    field = None
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            continue
        field = fields[part]
        current = _inner_model(field.annotation)
    return field


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        current = _inner_model(fields[part].annotation) if part in fields else current
    return list(getattr(current, "model_fields", {}))


def unknown_key_message(key: str, allowed: Iterable[str]) -> str:
    """``unknown key; did you mean 'x'? allowed: ...`` (the guess only when one is close)."""
    allowed = list(allowed)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key; {guess}allowed: {', '.join(allowed)}"


# -- files -----------------------------------------------------------------------------------------

MAX_FILE_BYTES = 10_000_000
"""Largest input file read (bytes): a scenario or organization of any real size is far smaller."""


def read_input_file(path: Path, shown: str, kind: str) -> str:
    """The text of a user's file; a clear error if it is missing, not a regular file, huge or not UTF-8.

    A byte-order mark (as Excel and some editors write) is dropped.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except OSError as err:
        raise InputError(f"{shown}: cannot read: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{shown}: is a folder; give a {kind} file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{shown}: not a regular file (a pipe or device?); give a {kind} file")
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            f"{shown}: {info.st_size:,} bytes; a {kind} file may have at most {MAX_FILE_BYTES:,}"
        )
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{shown}: not UTF-8 text; save the {kind} file as UTF-8") from None
    except OSError as err:
        raise InputError(f"{shown}: cannot read: {err.strerror}") from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as tables; a byte-order mark is dropped."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{source}: malformed TOML: {err}") from None


def wrap_parameter_error(err: ParameterError, source: str, prefix: str) -> InputError:
    """A model-side :class:`ParameterError` as an input error naming the file and table."""
    return InputError(f"{source}: {prefix}{err}")


def json_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON Schema of a declared file kind, for editors (``$schema``/taplo/Even Better TOML)."""
    schema = model.model_json_schema()
    schema["title"] = title
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
