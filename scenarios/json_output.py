"""What ``--json`` prints: the verdict and tables as one JSON document on stdout.

Human-readable text then goes to stderr, so ``blueline compare --json | jq``
sees JSON only. Missing numbers (NaN: no run tipped, no interval) are
``null``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, TextIO

import pandas as pd


def plain(value: Any) -> Any:
    """JSON-ready data: NaN and infinities as None, numpy scalars as Python numbers, paths as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return plain(value.to_dict(orient="records"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(payload: dict[str, Any], stream: TextIO) -> None:
    """Write one JSON document (strict: no NaN) and a newline."""
    stream.write(json.dumps(plain(payload), allow_nan=False, indent=2) + "\n")
    stream.flush()
