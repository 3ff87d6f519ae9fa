"""A class's own scenario, dropped on the page: a TOML file and the organization CSV it names.

Read exactly as ``blueline validate`` reads a file, so a broken file gets
the command line's one-line message naming the file, the field and what is
allowed; nothing is half-loaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePath

from dashboards.settings import Settings, settings_for
from scenarios.cli import UsageError
from scenarios.scenario import parse_scenario
from sim import ParameterError

MAX_FILE_BYTES = 1_000_000
"""Largest file accepted (bytes): a scenario or organization file is a few kilobytes."""
MAX_STAFF = 20_000
"""Largest organization the page plays (people): beyond it a week takes seconds, not milliseconds."""


class UploadError(ValueError):
    """An uploaded file the page cannot play; the message is one line."""


def load_upload(files: Mapping[str, bytes]) -> Settings:
    """Settings that play the uploaded scenario: one ``.toml`` and any ``.csv`` files it refers to.

    Raises
    ------
    UploadError
        One line naming the file, the field and what is allowed.
    """
    names = {PurePath(name).name: data for name, data in files.items()}
    for name, data in names.items():
        if len(data) > MAX_FILE_BYTES:
            raise UploadError(f"{name}: {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes per file")
        if PurePath(name).suffix.lower() not in (".toml", ".csv"):
            raise UploadError(
                f"{name}: not a scenario; drop a .toml scenario and the .csv organization it names"
            )
    scenarios = [name for name in names if name.lower().endswith(".toml")]
    if len(scenarios) != 1:
        found = ", ".join(scenarios) or "none"
        raise UploadError(
            f"drop exactly one .toml scenario (found: {found}), with the .csv organization it names"
        )
    (source,) = scenarios
    try:
        text = names[source].decode("utf-8")
    except UnicodeDecodeError as err:
        raise UploadError(f"{source}: not UTF-8 text (byte {err.start})") from None
    with tempfile.TemporaryDirectory() as folder:
        for name, data in names.items():
            if name != source:
                (Path(folder) / name).write_bytes(data)
        try:
            scenario = parse_scenario(text, source, PurePath(source).stem, Path(folder))
        except (UsageError, ParameterError) as err:
            raise UploadError(str(err).replace(f"{folder}/", "")) from None
    staff = sum(d.frontline for d in scenario.params.departments)
    if staff > MAX_STAFF:
        raise UploadError(
            f"{source}: organization: {staff:,} frontline staff; the dashboard plays at most {MAX_STAFF:,}"
        )
    try:
        return settings_for(scenario)
    except ParameterError as err:
        raise UploadError(f"{source}: {err} (the dashboard's range)") from None
