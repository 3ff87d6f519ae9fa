"""The ``blueline`` command line: one entry point, sub-commands registered by each layer.

Each layer (``scenarios``, ``experiments``, ``dashboards``) has a
``commands`` module with ``register(subparsers)``. Exit codes: 2 and one
line on stderr for bad input; 1 and one line for a run that could not
finish (a lost cluster); 130 for Ctrl-C and 143 for SIGTERM, with
temporary files removed; 0 when the reader of stdout goes away (``| head``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import select
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from scenarios.inputs import InputError
from sim.declared import ParameterError

LAYERS = ("scenarios.commands", "experiments.commands", "dashboards.commands")

EXIT_CODES = (
    "exit codes:\n"
    "  0    done\n"
    "  1    a run could not finish (a lost cluster); the line ends with the command that resumes\n"
    "  2    bad input: a malformed or impossible file, option or size (one line per problem on stderr)\n"
    "  130  interrupted (Ctrl-C), 143 terminated (SIGTERM); a half-written output folder is never left behind"
)

UsageError = InputError
"""Bad input from the user (kept as a name for callers; the library raises :class:`InputError`)."""


class VersionAction(argparse.Action):
    """``--version``: the code version, looked up (git) only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from scenarios.outputs import code_version

        print(f"blueline {code_version()}")
        parser.exit()


class RunFailed(Exception):
    """A run that could not finish for a reason outside the input: one line, exit code 1.

    With ``resumable``, the line ends with the command that picks up where it stopped.
    """

    def __init__(self, message: str, resumable: bool = False) -> None:
        super().__init__(message)
        self.resumable = resumable


class Stopped(KeyboardInterrupt):
    """A termination signal, raised like Ctrl-C so that every cleanup on the way out runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blueline",
        description="Simulate a service-culture transformation: compare rollout plans, sweep, explore.",
        epilog="examples:\n  blueline compare default\n  blueline scenarios\n  blueline run classroom --plan rocket\n"
        "  blueline compare default --json | jq .verdict\n\n"
        f"{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction, help="print the version (and git commit) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for layer in LAYERS:
        try:
            module = importlib.import_module(layer)
        except ModuleNotFoundError as err:
            if err.name != layer:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    with _termination_as_interrupt():
        return _main(argv)


@contextmanager
def _termination_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` (like Ctrl-C) while the command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv: list[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        try:
            if getattr(args, "json", False):  # the JSON document alone on stdout; the human text on stderr
                args.json_out = sys.stdout
                with contextlib.redirect_stdout(sys.stderr):
                    code = int(args.func(args) or 0)
            else:
                code = int(args.func(args) or 0)
        except (InputError, ParameterError) as err:
            for problem in err.problems if isinstance(err, InputError) else [str(err)]:
                print(f"blueline {args.command}: error: {problem}", file=sys.stderr)
            return 2
        except RunFailed as err:
            again = shlex.join(["blueline", *(sys.argv[1:] if argv is None else argv)])
            resume = f"; resume with: {again}" if err.resumable else ""
            print(f"blueline {args.command}: error: {err}{resume}", file=sys.stderr)
            return 1
        sys.stdout.flush()
        return code
    except KeyboardInterrupt as err:
        signum = getattr(err, "signum", signal.SIGINT)
        print(f"interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


def _stdout_closed() -> bool:
    """True if nobody reads stdout any more (the pipe's reader exited)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True


if __name__ == "__main__":
    sys.exit(main())
