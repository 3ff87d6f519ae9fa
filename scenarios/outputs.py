"""Output folders: never replace what blueline did not write; swap a finished result in at once.

A finished result lives in a versioned folder ``.X.v-<id>`` beside the
name the user asked for, and ``X`` is a symbolic link to it. A new result
is written into a fresh versioned folder and the link is flipped in one
step (``os.replace`` of a fresh link, or ``renameat2(RENAME_EXCHANGE)`` when
``X`` is still a plain folder from an older version), so a kill at any
instant leaves either the complete old or the complete new result. Every
folder blueline writes holds a marker file (``.blueline-output.json``: the
command, version and time); a folder is replaced only if it is empty or
marked, and never if it is ``/``, the home folder, the working folder or
one of their parents. Versioned folders of killed runs (no live process
holds their marker's lock, no link points to them) are removed at the
next start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import functools
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.inputs import InputError

if TYPE_CHECKING:
    import pandas as pd

RESULTS = Path("results")
"""Where default output folders go, relative to the working folder."""

MARKER = ".blueline-output.json"
"""The file that says blueline wrote a folder, and what it holds."""

STUDY = "study"
"""Marker kind of a ``compare`` or ``run`` folder (replaced whole)."""

SWEEP = "sweep"
"""Marker kind of an experiment's results folder (added to chunk by chunk)."""

OPTIMIZE = "optimize"
"""Marker kind of an optimizer's folder (its study added to trial by trial, its results replaced)."""

HELD = {STUDY: "a comparison (compare/run)", SWEEP: "sweep results", OPTIMIZE: "an optimization study"}

fault_hook: Callable[[str], None] | None = None
"""Called with a step name before each file operation of a swap; tests kill the process there."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_VERSION = ".v-"
_TRASH = ".old-"
_LEGACY_TEMP = ".tmp-"


# -- names and destinations -------------------------------------------------------------------------


def output_name(name: str, source: str, field: str = "name") -> str:
    """A scenario's or experiment's name made safe as one folder name.

    Characters other than letters, digits, ``_``, ``-`` and ``.`` become
    ``-``; a name that could reach outside its folder is refused.

    Raises
    ------
    InputError
        The name holds ``/``, ``\\``, ``..`` or a NUL, or nothing usable.
    """
    if any(bad in name for bad in ("/", "\\", "..", "\0")):
        raise InputError(
            f"{source}: {field}={name!r}: not allowed in a name, which also names the output folder: "
            "'/', '\\' and '..'; use letters, digits, '_', '-' or '.'"
        )
    safe = _UNSAFE.sub("-", name).strip("-.")
    if not safe:
        raise InputError(f"{source}: {field}={name!r}: needs a letter or digit to name the output folder")
    return safe


def default_output(name: str, source: str, suffix: str = "") -> Path:
    """``results/NAME[SUFFIX]`` for a name read from ``source`` (see :func:`output_name`).

    ``suffix`` is written by the program (``-quick``) or already made safe.
    """
    return RESULTS / (output_name(name, source) + suffix)


def check_destination(out: Path, kind: str, force: bool = False) -> None:
    """Refuse, before any work, an output folder blueline must not write.

    Parameters
    ----------
    out : Path
        The folder asked for (``--out``).
    kind : str
        :data:`STUDY` (the folder is replaced) or :data:`SWEEP` (added to).
    force : bool
        Write over a folder of other files (``--force``); never for ``/``,
        the home folder, the working folder or a parent of one of them.

    Raises
    ------
    InputError
        One line naming the folder and why; nothing has been touched.
    """
    where = f"--out {out}"
    out = Path(os.path.normpath(out))  # "a/.." is ".", never a folder named ".."
    resolved = out.resolve()
    for label, guarded in (("the working folder", Path.cwd()), ("the home folder", Path.home())):
        if guarded.resolve().is_relative_to(resolved):
            what = label if guarded.resolve() == resolved else f"a parent of {label}"
            raise InputError(
                f"{where}: is {what}; blueline never writes results over it, not even with --force; "
                f"give a folder of its own, e.g. {RESULTS / 'mine'}"
            )
    if out.is_symlink():
        if _current_version(out) is None and not force:
            raise InputError(
                f"{where}: is a link blueline did not make; nothing was changed; choose another folder, "
                "or add --force to replace the link (not what it points to)"
            )
        owner = _owner(resolved) if resolved.is_dir() else None
    elif not out.exists():
        return
    elif not out.is_dir():
        raise InputError(f"{where}: exists and is not a folder; nothing was changed; choose another name")
    else:
        owner = _owner(out)
        if owner is None and any(out.iterdir()):
            if force:
                return
            example = sorted(p.name for p in out.iterdir())[0]
            raise InputError(
                f"{where}: holds files blueline did not write (e.g. {example}); nothing was changed; "
                "choose another folder, or add --force to replace it"
            )
    if owner is not None and owner != kind and not force:
        held = HELD.get(owner, owner)
        raise InputError(f"{where}: holds {held}; nothing was changed; choose another folder, or add --force")


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a folder blueline wrote, or None."""
    try:
        found = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("written_by") == "blueline" else None


def mark_folder(folder: Path, kind: str) -> None:
    """Create ``folder`` if needed and mark it as blueline's, unless it already is."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    if read_marker(folder) is None:
        write_marker(folder, kind)


def write_marker(folder: Path, kind: str) -> None:
    """Mark ``folder`` as written by blueline (the command, version and time), replacing atomically."""
    tmp = Path(folder) / f"{MARKER}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(_marker_record(kind), indent=2) + "\n")
    os.replace(tmp, Path(folder) / MARKER)


def _marker_record(kind: str) -> dict[str, Any]:
    return {
        "written_by": "blueline",
        "kind": kind,
        "command": shlex.join(["blueline", *sys.argv[1:]]),
        "version": _package_version(),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _package_version() -> str | None:
    try:
        return metadata.version("blueline-sim")
    except metadata.PackageNotFoundError:
        return None


def _owner(folder: Path) -> str | None:
    """What blueline wrote into ``folder`` (a marker, or the files of an older version), or None."""
    marker = read_marker(folder)
    if marker is not None:
        return str(marker.get("kind", STUDY))
    if "blueline-sim" in _json_keys(folder / "versions.json"):
        return STUDY
    manifests = [folder / "experiment.json", *folder.glob("*/experiment.json")]
    if any({"definition", "code_version"} <= _json_keys(m) for m in manifests):
        return SWEEP
    return None


def _json_keys(path: Path) -> set[str]:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return set()
    return set(found) if isinstance(found, dict) else set()


# -- the atomic swap --------------------------------------------------------------------------------


@contextmanager
def atomic_folder(out: Path, force: bool = False) -> Iterator[Path]:
    """Yield a fresh folder for a result; on success ``out`` becomes it in one step.

    On an error or an interruption the fresh folder is removed and ``out``
    is left as it was. What killed runs left beside ``out`` is removed first.

    Raises
    ------
    InputError
        ``out`` must not be written (see :func:`check_destination`), or its
        parent cannot be created.
    """
    out = Path(os.path.normpath(out))
    check_destination(out, STUDY, force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"--out {out}: cannot create its parent folder: {err}") from None
    clear_stale(out)
    _step("create")
    fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}{_VERSION}", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    fresh.chmod(0o777 & ~umask)  # mkdtemp makes it private; results are ordinary files
    try:
        with _claim(fresh, STUDY):
            yield fresh
            previous = _publish(fresh, out)
    except BaseException:
        if _current_version(out) != fresh:
            _remove(fresh)
        if not out.exists() and not out.is_symlink():
            _restore(out)  # interrupted between setting the old folder aside and linking the new one
        raise
    if previous is not None:
        _discard(previous, out)


def clear_stale(out: Path) -> None:
    """Remove what killed runs left beside ``out``; put back a result a kill left set aside.

    Only entries named like ours are touched: versioned folders that no
    process holds and ``out`` does not point to, set-aside (``.X.old-*``) and
    older versions' temporary (``.X.tmp-*``) folders.
    """
    out = Path(out)
    if not out.parent.is_dir():
        return
    if not out.exists() and not out.is_symlink():
        _restore(out)
    current = _current_version(out)
    for entry in sorted(out.parent.iterdir()):
        kind = _leftover_kind(entry, out)
        if kind is None or entry == current:
            continue
        if kind == _VERSION and (entry.is_symlink() or not entry.is_dir() or not _unused(entry)):
            continue
        _step("clear")
        _remove(entry)


def _step(name: str) -> None:
    if fault_hook is not None:
        fault_hook(name)


@contextmanager
def _claim(folder: Path, kind: str) -> Iterator[None]:
    """Mark ``folder`` and hold its marker locked while writing: a live run's folder is never stale."""
    _step("mark")
    tmp = folder / f"{MARKER}.{os.getpid()}.tmp"
    with open(tmp, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(_marker_record(kind), indent=2) + "\n")
        handle.flush()
        os.replace(tmp, folder / MARKER)
        yield


def _publish(fresh: Path, out: Path) -> Path | None:
    """Point ``out`` at ``fresh`` in one step; return what ``out`` held before, to be discarded."""
    previous = _current_version(out)
    if out.is_symlink() or not out.exists():
        _step("link")
        os.symlink(fresh.name, fresh / ".link")
        _step("swap")
        os.replace(fresh / ".link", out)
        return previous
    aside = _aside(fresh, out)  # out is a plain folder: an older version's, an empty one, or forced
    _step("link")
    os.symlink(fresh.name, aside)
    _step("swap")
    if _exchange(aside, out):
        return aside
    _step("unlink")
    aside.unlink()
    _step("set aside")
    out.rename(aside)
    _step("link")
    os.symlink(fresh.name, fresh / ".link")
    _step("swap")
    os.replace(fresh / ".link", out)
    return aside


def _discard(previous: Path, out: Path) -> None:
    """Remove a replaced result: renamed aside first, so a half-deleted folder is never taken for one."""
    aside = previous
    if _leftover_kind(previous, out) == _VERSION:
        aside = _aside(previous, out)
        _step("set aside")
        previous.rename(aside)
    if aside.is_dir() and not aside.is_symlink():
        _step("unmark")
        (aside / MARKER).unlink(missing_ok=True)
    _step("remove")
    _remove(aside)


def _restore(out: Path) -> None:
    """Put back a complete result a kill left set aside while ``out`` was missing."""
    for entry in sorted(out.parent.iterdir()):
        if _leftover_kind(entry, out) != _TRASH or entry.is_symlink() or not entry.is_dir():
            continue
        for candidate in (entry / out.name, entry):  # older versions kept it one level down
            if candidate.is_dir() and not candidate.is_symlink() and _owner(candidate) is not None:
                _step("restore")
                candidate.rename(out)
                return


def _aside(version: Path, out: Path) -> Path:
    """Where ``out``'s replaced result goes to be deleted, named after a versioned folder's id."""
    return out.with_name(f".{out.name}{_TRASH}{version.name.rsplit('-', 1)[-1]}")


def _leftover_kind(entry: Path, out: Path) -> str | None:
    """``.v-``, ``.old-`` or ``.tmp-`` if ``entry`` is named like a leftover of ``out``, else None."""
    found = re.fullmatch(rf"\.{re.escape(out.name)}(\.v-|\.old-|\.tmp-)[A-Za-z0-9_]{{8}}", entry.name)
    return found.group(1) if found else None


def _current_version(out: Path) -> Path | None:
    """The versioned folder ``out`` links to, if ``out`` is one of our links."""
    if not out.is_symlink():
        return None
    target = out.with_name(os.readlink(out))
    if target.parent != out.parent or _leftover_kind(target, out) != _VERSION:
        return None
    return target


def _unused(folder: Path) -> bool:
    """True if no live process holds ``folder``'s marker (or it was killed before marking it)."""
    markers = [p for p in folder.iterdir() if p.name.startswith(MARKER)]
    if not markers:
        return not any(folder.iterdir())
    for marker in markers:
        try:
            with open(marker, "rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except FileNotFoundError:
            continue
    return True


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step with ``renameat2(RENAME_EXCHANGE)``; False where it does not exist."""
    rename = _renameat2()
    if rename is None:
        return False
    if rename(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the file system cannot
        return False
    raise OSError(err, os.strerror(err), str(b))


def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        rename = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    rename.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rename.restype = ctypes.c_int
    return rename


# -- what went into a result ------------------------------------------------------------------------


def write_table(df: pd.DataFrame, folder: Path, stem: str) -> None:
    """Write a table as ``stem.parquet`` and ``stem.csv``."""
    df.to_parquet(folder / f"{stem}.parquet", index=False)
    df.to_csv(folder / f"{stem}.csv", index=False)


def git_commit() -> str | None:
    """The work tree's commit (with ``-dirty`` if it has changes), or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "") if commit else None


@functools.cache
def code_version() -> str:
    """The package version, plus the git commit when run from a checkout (``0.1.0+1a2b3c4d5e``, ``-dirty`` if edited)."""
    try:
        version = metadata.version("blueline-sim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = git_commit()
    return f"{version}+{commit[:10]}{'-dirty' if commit.endswith('-dirty') else ''}" if commit else version


def versions() -> dict[str, Any]:
    """What produced a result: package versions, Python, the git commit."""
    out: dict[str, Any] = {}
    for package in ("blueline-sim", "mesa", "numpy", "scipy", "pandas", "matplotlib"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    out["python"] = platform.python_version()
    out["platform"] = platform.platform()
    out["git_commit"] = git_commit()
    return out


def write_versions(folder: Path) -> None:
    """Write ``versions.json``."""
    (folder / "versions.json").write_text(json.dumps(versions(), indent=2) + "\n")
