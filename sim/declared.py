"""Declared inputs: the model's own types say once what each field allows.

:class:`sim.ModelParams`, :class:`sim.Department`, :class:`sim.Wave`,
:class:`sim.Gate` and :class:`sim.Plan` are pydantic dataclasses built by
:func:`declared`. One declaration gives the checks made when Python code
builds them, the checks of the files that hold them (``scenarios/`` reads
those files into these same types), the JSON Schema and the docs tables.
Every problem is reported at once, one line each naming the field path and
what is allowed (:func:`problem_lines`), as a :class:`ParameterError`.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Union, dataclass_transform, get_args

from pydantic import BeforeValidator, ConfigDict, Discriminator, Field, Strict, Tag, ValidationError
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo


class ParameterError(ValueError):
    """A value outside what the model allows: one or more problems, one line each.

    Each line names the field, the value and what is allowed; ``problems``
    holds them, ``str(err)`` joins them with newlines.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def _whole_float_as_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


Real = Annotated[float, Strict()]
"""A number: int or float, never a bool or text."""

Whole = Annotated[int, BeforeValidator(_whole_float_as_int), Strict()]
"""A whole number (``5.0`` counts as 5), never a bool or text."""

Share = Annotated[Real, Field(ge=0, le=1)]
"""A share or probability in [0, 1]."""

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=100)]
"""A department or plan name: letters, digits, ``_`` or ``-``."""

CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)
"""Unknown keys refused, NaN and infinity refused; containers taken from any sequence or table."""


@dataclass_transform(frozen_default=True, field_specifiers=(Field,))
def declared[T](prefix: str = "") -> Callable[[type[T]], type[T]]:
    """Make a class a frozen declared type; construction errors become a :class:`ParameterError`.

    Parameters
    ----------
    prefix : str
        Put before each field path in the errors of a Python construction
        (``wave.`` gives ``wave.coverage=2: must be <= 1``).
    """

    def build(cls: type[T]) -> type[T]:
        built: Any = dataclass(frozen=True, config=CONFIG)(cls)
        init = built.__init__

        @functools.wraps(init)
        def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                init(self, *args, **kwargs)
            except ValidationError as err:
                raise ParameterError(problem_lines(err, built, prefix)) from None

        built.__init__ = checked_init
        return built  # type: ignore[no-any-return]

    return build


def bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    """A declared field's range (low, high): its own, or that of its items (one value per rung)."""
    metadata = list(info.metadata)
    for item in get_args(info.annotation):
        for m in getattr(item, "__metadata__", ()):
            metadata += m.metadata if isinstance(m, FieldInfo) else [m]
    lo = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in metadata if hasattr(m, "le")), None)
    return lo, hi


# -- error lines -------------------------------------------------------------------------------------


def problem_lines(err: ValidationError, root: Any, prefix: str = "") -> list[str]:
    """One line per validation error, ``PATH=VALUE: what is allowed``, in order, duplicates dropped.

    ``root`` is the declared type validated (a pydantic model or dataclass);
    units and the keys a table allows are read from its fields.
    """
    lines: list[str] = []
    names = list(_fields_of(root))
    errors = err.errors(include_url=False)
    for e in errors:
        if e["type"] in ("too_short", "too_long") and _inside(e["loc"], errors):
            continue  # pydantic counts only the items that passed: the bad items are the problem
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith(("<", "[")))]
        if loc and isinstance(loc[0], int) and loc[0] < len(names):  # a positional argument
            loc[0] = names[loc[0]]
        path = prefix + _path(loc)
        allowed = _allowed(e, root, loc)
        line = f"{path}{_shown(e)}: {allowed}" if loc else prefix + allowed
        if line not in lines:
            lines.append(line)
    return lines


def _inside(loc: tuple[Any, ...], errors: list[Any]) -> bool:
    """Whether another error lies inside ``loc``."""
    return any(len(o["loc"]) > len(loc) and o["loc"][: len(loc)] == loc for o in errors)


UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")

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
    "dataclass_exact_type": "must be a table",
    "finite_number": "must be a finite number",
    "string_pattern_mismatch": "must be letters, digits, '_' or '-'",
    "missing": "missing; required",
    "missing_argument": "missing; required",
}

_SIGNS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(e: Any) -> str:
    if e["type"] in ("missing", "missing_argument", *UNKNOWN_KEY) or _is_table(e["input"]):
        return ""
    value = e["input"]
    if isinstance(value, float) and not math.isfinite(value):
        return f"={value}"
    text = repr(value)
    return f"={text}" if len(text) <= 60 else f"={text[:57]}..."


def _is_table(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_is_table(v) for v in value)
    return isinstance(value, dict) or hasattr(value, "__pydantic_fields__")


def _allowed(e: Any, root: Any, loc: Sequence[str | int]) -> str:
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind in UNKNOWN_KEY:
        return unknown_key_message(str(loc[-1]), _fields_of(_declared_at(root, loc[:-1])))
    if kind in _SIGNS:
        return f"must be {_SIGNS[kind]} {_number(ctx[next(iter(ctx))])}" + _unit(root, loc)
    if kind == "literal_error":
        return f"allowed: {ctx.get('expected', '')}".replace("'", "")
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length", ctx.get("max_length"))
        return f"needs {'at least' if kind == 'too_short' else 'at most'} {n} item{'' if n == 1 else 's'}"
    if kind == "value_error":
        return str(ctx.get("error", e["msg"]))
    if kind in MESSAGES:
        return MESSAGES[kind] + (_unit(root, loc) if kind.startswith(("int", "float")) else "")
    return e["msg"][0].lower() + e["msg"][1:]


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


def _unit(root: Any, loc: Sequence[str | int]) -> str:
    field = _field_at(root, loc)
    extra = getattr(field, "json_schema_extra", None)
    unit = extra.get("unit") if isinstance(extra, dict) else None
    return f" ({unit})" if unit else ""


def _fields_of(declared_type: Any) -> dict[str, Any]:
    return dict(getattr(declared_type, "__pydantic_fields__", {}) or {})


def _field_at(root: Any, loc: Sequence[str | int]) -> Any:
    """The pydantic FieldInfo at ``loc``, following nested declared types through lists and tables."""
    current, field = root, None
    for part in loc:
        fields = _fields_of(current)
        if isinstance(part, int) or part not in fields:
            continue
        field = fields[part]
        current = _inner_declared(field.annotation)
    return field


def _declared_at(root: Any, loc: Sequence[str | int]) -> Any:
    current = root
    for part in loc:
        fields = _fields_of(current)
        if not isinstance(part, int) and part in fields:
            current = _inner_declared(fields[part].annotation) or current
    return current


def _inner_declared(annotation: Any) -> Any:
    if isinstance(annotation, type) and hasattr(annotation, "__pydantic_fields__"):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_declared(arg)
        if found is not None:
            return found
    return None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``did you mean 'x'? `` when one known name is close to ``name``, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_key_message(key: str, allowed: Iterable[str]) -> str:
    """``unknown key; did you mean 'x'? allowed: ...`` (the guess only when one is close)."""
    allowed = list(allowed)
    return f"unknown key; {did_you_mean(key, allowed)}allowed: {', '.join(allowed)}"


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


def unique(what: str) -> Callable[[Any], Any]:
    """A check that a list's items (or their ``name``) do not repeat, for ``AfterValidator``."""

    def check(items: Any) -> Any:
        seen = set()
        for key in (getattr(item, "name", item) for item in items):
            if key in seen:
                raise ValueError(f"{what} {key!r} appears twice; must not repeat")
            seen.add(key)
        return items

    return check
