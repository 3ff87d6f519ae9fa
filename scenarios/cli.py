"""The ``blueline`` command line: one entry point, sub-commands registered by each layer.

Each layer (``scenarios``, ``experiments``, ``dashboards``) has a
``commands`` module with ``register(subparsers)``; bad input exits with
code 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sim.params import ParameterError

LAYERS = ("scenarios.commands", "experiments.commands", "dashboards.commands")


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blueline",
        description="Simulate a service-culture transformation: compare rollout plans, sweep, explore.",
        epilog="examples:\n  blueline compare default\n  blueline scenarios\n  blueline run classroom --plan rocket",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (UsageError, ParameterError) as err:
        print(f"blueline {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
