"""Command-line conventions: --version, --json, python -m blueline, exit codes, progress off a terminal."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from tqdm import tqdm

from scenarios import progress
from scenarios.cli import main
from scenarios.progress import PlainProgress

ROOT = Path(__file__).resolve().parents[1]


def test_version_names_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("blueline 0.")


def test_python_dash_m_blueline_is_the_same_command_and_is_packaged(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "blueline", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.startswith("blueline 0.")
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert "blueline*" in packages["include"]


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for code in ("0    done", "2    bad input", "130  interrupted"):
        assert code in text


def test_compare_json_is_one_document_on_stdout_and_the_text_on_stderr(tmp_path, capsys):
    args = ["compare", "classroom", "--weeks", "8", "--n-seeds", "2", "--workers", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "out"), "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    plans = [row["plan"] for row in document["comparison"]]
    assert document["verdict"]["best"] in plans and document["scenario"] == "classroom"
    assert len(document["runs"]) == 2 * len(plans)
    assert "Verdict:" in captured.err and "report:" in captured.err


def test_analysis_json_carries_its_table(tmp_path, capsys):
    out = tmp_path / "atlas"
    assert main(["atlas", "--quick", "--out", str(out), "--workers", "1", "--quiet", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["experiment"] == "silo-atlas"
    assert {"silo_strength", "budget", "winner"} <= set(document["atlas"][0])
    assert [Path(p).name for p in document["files"]] == ["atlas.png", "atlas.csv"]


def test_progress_off_a_terminal_is_a_plain_line_every_tenth():
    stream = io.StringIO()
    with PlainProgress(total=200, desc="sweep", unit="run", stream=stream) as bar:
        for _ in range(200):
            bar.update(1)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in stream.getvalue()
    assert lines[0].startswith("sweep: 10% (20/200 runs") and lines[-1].startswith(
        "sweep: 100% (200/200 runs"
    )


def test_progress_resumed_half_way_reports_only_what_is_left():
    stream = io.StringIO()
    bar = PlainProgress(total=100, desc="sweep", unit="run", initial=50, stream=stream)
    for _ in range(50):
        bar.update(1)
    assert stream.getvalue().splitlines()[0].startswith("sweep: 60%")


def test_progress_is_a_bar_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert isinstance(progress.progress(10, "x"), tqdm)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert isinstance(progress.progress(10, "x"), PlainProgress)
