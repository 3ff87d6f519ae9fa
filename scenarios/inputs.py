"""Declared input types: every file a user writes is checked against one, all errors at once.

Scenario, plan, organization and experiment files are TOML read into
pydantic models derived from :class:`Declared`, which hold the model's own
declared types (:mod:`sim.declared`). One declaration gives the checks
(every problem in a file reported together, each on one line naming the
file, the field path and what is allowed, with "did you mean" for a
misspelt key), the JSON Schema shipped for editors, and the tables of the
docs. Errors are :class:`InputError`, a library error: the command line only
prints them.
"""

from __future__ import annotations

import functools
import json
import stat
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sim.declared import CONFIG, ParameterError, did_you_mean, problem_lines


class InputError(ParameterError):
    """Bad input from a user: one or more problems, each one line (file, field, what is allowed).

    ``str(err)`` is the problems joined by newlines; the command line prints
    them and exits with code 2.
    """

    def within(self, prefix: str) -> InputError:
        """The same problems, each prefixed (e.g. with the file that referred to this one)."""
        return InputError([f"{prefix}: {p}" for p in self.problems])


Seed = Annotated[int, Field(ge=0, lt=2**63)]


class Declared(BaseModel):
    """Base of the tables around the model's types: unknown keys refused, TOML types taken as written."""

    model_config = CONFIG | ConfigDict(frozen=True, strict=True)


@functools.cache
def _adapter(declared: Any) -> TypeAdapter[Any]:
    return TypeAdapter(declared)


def check[M](model: type[M], data: Any, source: str, prefix: str = "") -> M:
    """Validate parsed TOML against a declared type (a table model or one of the model's own types).

    Raises
    ------
    InputError
        With one line per problem: ``SOURCE: PATH=VALUE: what is allowed``.
    """
    try:
        # JSON mode: arrays are accepted for tuples, ints for floats, but never strings for numbers
        return _adapter(model).validate_json(json.dumps(data, default=str), strict=True)  # type: ignore[no-any-return]
    except ValidationError as err:
        raise InputError([f"{source}: {line}" for line in problem_lines(err, model, prefix)]) from None


def parameter_problems(err: ParameterError, source: str, prefix: str = "") -> list[str]:
    """A model-side :class:`ParameterError`'s lines, each naming the file and the table."""
    return [f"{source}: {prefix}{p}" for p in err.problems]


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


BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True)
class Located:
    """A user's file, or a built-in, found by name or path: its text and where it came from.

    ``source`` is named in every error (the path, or ``builtin:NAME``);
    ``name`` is the file's stem; relative paths inside it start from
    ``base`` (None for a built-in).
    """

    text: str
    source: str
    name: str
    base: Path | None


def builtins_in(package: str, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """The built-in files of a package's ``builtin/`` folder: name -> one-line description, sorted."""
    folder = resources.files(package).joinpath("builtin")
    return {
        e.name.removesuffix(".toml"): str(parse_toml(e.read_text(), e.name).get("description", ""))
        for e in sorted(folder.iterdir(), key=lambda e: e.name)
        if e.name.endswith(".toml") and e.name not in skip
    }


def locate(name_or_path: str | Path, kind: str, package: str, skip: tuple[str, ...] = ()) -> Located:
    """A built-in ``kind`` by name (from ``package/builtin/``), or a ``kind`` TOML file by path.

    Raises
    ------
    InputError
        An unknown name (with a did-you-mean) or a file that cannot be read.
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix.lower() == ".toml" or "/" in text_name or path.exists():
        return Located(read_input_file(path, text_name, kind), text_name, path.stem, path.parent)
    builtins = builtins_in(package, skip)
    if text_name not in builtins:
        raise InputError(
            f"{text_name!r}: not a built-in {kind} nor a .toml file; {did_you_mean(text_name, builtins)}built-ins: {', '.join(builtins)}"
        )
    text = resources.files(package).joinpath(f"builtin/{text_name}.toml").read_text()
    return Located(text, BUILTIN_PREFIX + text_name, text_name, None)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as tables; a byte-order mark is dropped."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{source}: malformed TOML: {err}") from None
