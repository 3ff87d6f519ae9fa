"""The output folder: written whole into a temporary folder, then renamed into place.

An existing folder is replaced only once the new one is complete, so a
failed or interrupted run leaves the old results (or nothing) behind,
never half a folder.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.cli import UsageError


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``out``; on success it becomes ``out``.

    Raises
    ------
    UsageError
        If ``out`` exists and is not a folder, or its parent cannot be created.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {out}: cannot create its parent folder: {err}") from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; results are ordinary files
    try:
        yield tmp
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            out.rename(old / out.name)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
