"""Never lose a user's data: output folders, names, kills, corrupt chunks, closed pipes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scenarios import outputs
from scenarios.cli import UsageError
from scenarios.outputs import MARKER, atomic_folder, check_destination, clear_stale, default_output

LAUNCH = "import sys; from scenarios.cli import main; sys.exit(main())"


def blueline(*args: str, cwd: Path | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args], capture_output=True, text=True, cwd=cwd, timeout=300, **kw
    )


def write_result(out: Path, text: str) -> None:
    with atomic_folder(out) as tmp:
        (tmp / "result.txt").write_text(text)
        (tmp / "report.md").write_text(text)


def seen(out: Path) -> str | None:
    """'old' or 'new' if ``out`` holds that complete result, else None."""
    if not out.is_dir():
        return None
    names = {p.name for p in out.iterdir()}
    texts = {(out / n).read_text() for n in ("result.txt", "report.md") if n in names}
    complete = {"result.txt", "report.md"} <= names and len(texts) == 1
    return texts.pop() if complete else None


# -- names and destinations --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../victim", "a/b", "..", "/etc", "a\\b", "x..y"])
def test_name_that_could_escape_results_is_refused(name):
    with pytest.raises(UsageError, match=r"^my\.toml: name="):
        default_output(name, "my.toml")


def test_name_is_sanitised_into_one_folder_under_results():
    assert default_output("Our Hospital (2024)", "f.toml") == Path("results/Our-Hospital-2024")
    assert default_output("budget-sweep", "builtin:budget-sweep", "-quick") == Path(
        "results/budget-sweep-quick"
    )


def test_folder_of_foreign_files_is_refused_and_untouched(tmp_path):
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me")
    with pytest.raises(UsageError, match="precious.txt.*--force"):
        check_destination(mine, outputs.STUDY)
    with pytest.raises(UsageError), atomic_folder(mine) as tmp:
        (tmp / "result.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydata"]
    assert (mine / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("where", [".", "", "..", "/", "~", "sub/..", "/tmp/.."])
def test_working_home_and_root_folders_are_refused_even_with_force(tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    with pytest.raises(UsageError, match="not even with --force"):
        check_destination(Path(where).expanduser(), outputs.STUDY, force=True)


def test_force_replaces_a_foreign_folder(tmp_path):
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "old.txt").write_text("old")
    with atomic_folder(mine, force=True) as tmp:
        (tmp / "result.txt").write_text("new")
    assert sorted(p.name for p in mine.iterdir()) == [MARKER, "result.txt"]


def test_result_of_an_older_version_is_replaced_and_converted_to_a_link(tmp_path):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "versions.json").write_text(json.dumps({"blueline-sim": "0.0.9"}))
    write_result(out, "new")
    assert out.is_symlink() and seen(out) == "new"
    assert len(list(tmp_path.iterdir())) == 2  # the link and its one versioned folder


def test_failed_write_keeps_the_old_result_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "cmp"
    write_result(out, "old")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "result.txt").write_text("new")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert seen(out) == "old"


def test_sweep_folder_is_not_replaced_by_a_comparison(tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    outputs.write_marker(out, outputs.SWEEP)
    with pytest.raises(UsageError, match="holds sweep results"):
        check_destination(out, outputs.STUDY)
    check_destination(out, outputs.SWEEP)


# -- the swap under SIGKILL at every file operation ----------------------------------------------------


def _killed_at(step: int, action: Callable[[], None]) -> bool:
    """Run ``action`` in a forked child that SIGKILLs itself before its ``step``-th file operation.

    Returns True if the kill happened, False if the action finished first. The
    process's other threads are native pools (BLAS, Arrow); the child only does
    file operations, so forking is safe despite Python's warning.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        calls = iter(range(10_000))

        def hook(name: str) -> None:
            if next(calls) == step:
                os.kill(os.getpid(), signal.SIGKILL)

        outputs.fault_hook = hook
        try:
            action()
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0
    return False


def _old_plain(out: Path) -> None:
    out.mkdir()
    for name in ("result.txt", "report.md"):
        (out / name).write_text("old")
    outputs.write_marker(out, outputs.STUDY)


def _old_link(out: Path) -> None:
    write_result(out, "old")


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.parametrize("start", ["nothing", "link", "plain folder"])
def test_kill_at_any_step_of_the_swap_leaves_old_or_new_complete(tmp_path, monkeypatch, start, exchange):
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    setup = {"nothing": lambda out: None, "link": _old_link, "plain folder": _old_plain}[start]
    steps = 0
    while True:
        case = tmp_path / f"k{steps}"
        case.mkdir()
        out = case / "cmp"
        setup(out)
        if not _killed_at(steps, lambda out=out: write_result(out, "new")):
            break
        if not exchange:
            clear_stale(
                out
            )  # without renameat2 a kill can leave the old folder set aside: the next start puts it back
        found = seen(out)
        assert found in ({"old", "new"} if start != "nothing" else {None, "new"}), (steps, found)
        write_result(out, "new")  # the next run
        assert seen(out) == "new"
        assert sorted(p.name for p in case.iterdir()) == sorted(["cmp", os.readlink(out)]), (
            f"leftovers after a kill at step {steps}"
        )
        steps += 1
    assert steps >= {"nothing": 4, "link": 7, "plain folder": 6}[start] and seen(out) == "new"


# -- signals and child processes -------------------------------------------------------------------


def _children_once_running(process: subprocess.Popen[str], at_least: int) -> list:
    """The process's descendants once ``at_least`` exist (workers started and working)."""
    psutil = pytest.importorskip("psutil")
    parent = psutil.Process(process.pid)
    for _ in range(1200):  # up to 2 minutes on a busy machine
        children = parent.children(recursive=True)
        if len(children) >= at_least or process.poll() is not None:
            return children
        time.sleep(0.1)
    return parent.children(recursive=True)


COMPARE_TWO_WORKERS = ["compare", "classroom", "--weeks", "400", "--n-seeds", "8", "--workers", "2"]


@pytest.mark.parametrize(
    ("command", "children", "signum"),
    [
        (COMPARE_TWO_WORKERS, 4, signal.SIGKILL),
        (COMPARE_TWO_WORKERS, 4, signal.SIGTERM),
        (["sweep", "budget-sweep", "--workers", "2"], 4, signal.SIGKILL),
        pytest.param(
            ["sweep", "budget-sweep", "--local-cluster", "2"], 3, signal.SIGKILL, marks=pytest.mark.slow
        ),
    ],
    ids=["compare-SIGKILL", "compare-SIGTERM", "sweep-SIGKILL", "sweep-local-cluster-SIGKILL"],
)
def test_no_child_process_outlives_a_killed_command(tmp_path, command, children, signum):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *command, "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # resource tracker, forkserver and 2 workers; or resource tracker and 2 Dask workers
    started = _children_once_running(process, at_least=children)
    assert process.poll() is None and len(started) >= children, "the command ended before its workers started"
    process.send_signal(signum)
    code = process.wait(timeout=60)
    gone, alive = psutil.wait_procs(started, timeout=5)
    assert not alive, [p.cmdline()[-1][:60] for p in alive]
    if signum == signal.SIGTERM:
        assert code == 143 and "interrupted (SIGTERM)" in process.stderr.read()
        assert not any(p.name.startswith(".out.") for p in tmp_path.iterdir())


# -- sweeps: corrupt chunks and a lost scheduler -----------------------------------------------------

TINY_SWEEP = """
description = "tiny sweep for the output-safety tests"
scenario = "classroom"
plans = ["pilot", "rocket"]
seeds = 2
weeks = 12
outputs = "weekly"
method = "grid"

[grid]
budget = [10000, 40000]
silo_strength = [0.7, 0.9]
"""


def test_corrupt_chunks_are_quarantined_and_the_resumed_table_equals_an_uninterrupted_run(tmp_path, capsys):
    import shutil

    from experiments.definition import load_experiment
    from experiments.executors import LocalExecutor
    from experiments.store import ResultStore
    from experiments.sweep import run_sweep

    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SWEEP)
    experiment = load_experiment(path)
    reference = tmp_path / "reference"
    run_sweep(experiment, reference, LocalExecutor(1), progress=False)
    damaged = tmp_path / "damaged"
    shutil.copytree(reference, damaged)
    summaries = sorted((damaged / "runs").glob("part-*.parquet"))
    weeklies = sorted((damaged / "weekly").glob("part-*.parquet"))
    assert len(summaries) >= 3 and len(weeklies) >= 3
    summaries[0].write_bytes(summaries[0].read_bytes()[:100])  # truncated
    summaries[1].write_bytes(b"")  # empty
    weeklies[2].write_bytes(b"not a parquet file at all" * 10)  # garbage
    capsys.readouterr()
    report = run_sweep(experiment, damaged, LocalExecutor(1), progress=False)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all("unreadable" in line and ".corrupt" in line for line in err)
    assert sorted(p.name for p in damaged.rglob("*.corrupt")) == sorted(
        p.name + ".corrupt" for p in (summaries[0], summaries[1], weeklies[2])
    )
    assert 0 < report.ran < report.total
    for read in (ResultStore.read_summary, ResultStore.read_weekly):
        pd.testing.assert_frame_equal(read(ResultStore(damaged)), read(ResultStore(reference)))
    assert run_sweep(experiment, damaged, LocalExecutor(1), progress=False).ran == 0
    assert capsys.readouterr().err == ""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1200):  # up to 2 minutes on a busy machine
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.mark.slow
def test_lost_scheduler_is_one_line_exit_1_with_the_resume_command(tmp_path):
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.skip("the dask command is not installed")
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SWEEP.replace("seeds = 2", "seeds = 8").replace("weeks = 12", "weeks = 150"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        **quiet,
    )
    worker = subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet)
    out = tmp_path / "out"
    try:
        sweep = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "sweep", str(path), "--out", str(out), "--scheduler", address]
            + ["--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for(lambda: any((out / "runs").glob("part-*.parquet")) or sweep.poll() is not None, "a chunk")
        assert sweep.poll() is None, sweep.stderr.read()
        scheduler.kill()
        code = sweep.wait(timeout=120)
        err = sweep.stderr.read().strip().splitlines()
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait()
    assert code == 1 and len(err) == 1, err
    assert "lost the Dask scheduler" in err[0] and f"resume with: blueline sweep {path}" in err[0]
    assert any((out / "runs").glob("part-*.parquet"))


# -- leftovers of killed runs and of older versions ---------------------------------------------------


def test_leftovers_of_killed_runs_are_removed_at_the_next_start_but_not_a_live_one(tmp_path):
    import fcntl

    out = tmp_path / "cmp"
    write_result(out, "old")
    legacy_temp = tmp_path / ".cmp.tmp-abcd1234"
    killed = tmp_path / ".cmp.v-killed12"
    live = tmp_path / ".cmp.v-live1234"
    unrelated = tmp_path / ".cmp.vacation"
    for folder in (legacy_temp, killed, live, unrelated):
        folder.mkdir()
        (folder / "half.csv").write_text("x")
    outputs.write_marker(killed, outputs.STUDY)
    outputs.write_marker(live, outputs.STUDY)
    with open(live / MARKER) as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a run still writing there
        write_result(out, "new")
        left = {p.name for p in tmp_path.iterdir()}
    assert left == {"cmp", os.readlink(out), live.name, unrelated.name}
    assert seen(out) == "new"


def test_result_an_older_version_left_set_aside_is_put_back(tmp_path):
    out = tmp_path / "cmp"
    aside = tmp_path / ".cmp.old-abcd1234" / "cmp"  # older versions: killed between their two renames
    aside.mkdir(parents=True)
    (aside / "versions.json").write_text(json.dumps({"blueline-sim": "0.0.9"}))
    clear_stale(out)
    assert (out / "versions.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["cmp"]


# -- the command line ---------------------------------------------------------------------------------


def _no_simulation(monkeypatch):
    import scenarios.study

    def refuse(*args, **kw):
        raise AssertionError("a simulation ran before the output folder was checked")

    monkeypatch.setattr(scenarios.study, "run_study", refuse)


def test_compare_leaves_a_folder_of_foreign_files_alone_before_running(tmp_path, monkeypatch, capsys):
    from scenarios.cli import main

    _no_simulation(monkeypatch)
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me")
    assert main(["compare", "classroom", "--out", str(mine), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "precious.txt" in err[0] and "--force" in err[0]
    assert [p.name for p in tmp_path.iterdir()] == ["mydata"]
    assert [p.name for p in mine.iterdir()] == ["precious.txt"]


@pytest.mark.parametrize("out", [".", "", ".."])
def test_compare_refuses_the_working_folder_and_its_parents(tmp_path, monkeypatch, capsys, out):
    from scenarios.cli import main

    _no_simulation(monkeypatch)
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    assert main(["compare", "classroom", "--out", out, "--force", "--quiet"]) == 2
    assert "not even with --force" in capsys.readouterr().err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["work", "work/notes.txt"]


def test_scenario_name_that_escapes_results_is_refused(tmp_path, monkeypatch, capsys):
    from scenarios.cli import main

    _no_simulation(monkeypatch)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    victim = tmp_path / "a" / "victim"  # results/../../victim seen from a/b
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    scenario = work / "evil.toml"
    scenario.write_text('name = "../../victim"\nbudget = 1000\nn_seeds = 1\nweeks = 10\nplans = ["none"]\n')
    monkeypatch.chdir(work)
    for command in (["compare", "evil.toml"], ["run", "evil.toml"], ["validate", "evil.toml"]):
        assert main([*command, "--quiet"] if command[0] != "validate" else command) == 2
        err = capsys.readouterr().err.strip()
        assert "evil.toml: name='../../victim'" in err and len(err.splitlines()) == 1
    assert [p.name for p in victim.iterdir()] == ["precious.txt"]
    assert sorted(p.name for p in work.iterdir()) == ["evil.toml"]


def test_experiment_name_that_escapes_results_is_refused(tmp_path, monkeypatch, capsys):
    from scenarios.cli import main

    (tmp_path / "evil.toml").write_text(f'name = "../outside"\n{TINY_SWEEP}')
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "evil.toml", "--workers", "1", "--quiet"]) == 2
    assert "evil.toml: name='../outside'" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["evil.toml"]


def test_closed_stdout_ends_quietly():
    for command in (["scenarios"], ["validate", "classroom"]):  # every command prints through main()
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        process.stdout.close()  # the reader is gone before anything is printed, like `| head -0`
        err = process.stderr.read()
        assert process.wait(timeout=300) == 0 and err == "", err


def test_outputs_whose_names_look_like_versions_do_not_touch_each_other(tmp_path):
    plain, odd = tmp_path / "cmp", tmp_path / "cmp.v-12345678"
    write_result(odd, "odd")
    for text in ("old", "new"):
        write_result(plain, text)
    write_result(odd, "odd again")
    assert seen(plain) == "new" and seen(odd) == "odd again"
    assert len(list(tmp_path.iterdir())) == 4  # two links, two versioned folders


def test_sweep_leaves_a_folder_of_foreign_files_alone(tmp_path, capsys):
    from scenarios.cli import main

    (tmp_path / "tiny.toml").write_text(TINY_SWEEP)
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me")
    assert main(["sweep", str(tmp_path / "tiny.toml"), "--out", str(mine), "--workers", "1", "--quiet"]) == 2
    assert "precious.txt" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["precious.txt"]
