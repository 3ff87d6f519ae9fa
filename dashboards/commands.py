"""``blueline dashboard``: serve the classroom dashboard (a Solara app) on this machine."""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

APP = Path(__file__).with_name("app.py")

# Solara phones home (telemetry, version check) by default; a classroom laptop may be offline.
QUIET_ENVIRONMENT = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_FONTAWESOME_ENABLED": "False",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` sub-command."""
    parser = subparsers.add_parser(
        "dashboard",
        help="serve the classroom dashboard (press play, watch a culture tip)",
        description="Serve the interactive dashboard and print its address. "
        "Equivalent to `solara run dashboards/app.py`.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.set_defaults(func=serve)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    from scenarios.inputs import InputError

    if not 0 < port < 65536:
        raise InputError(f"--port {port}: must be a whole number in 1..65535 (or 0 for any free port)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind((host, port))
        except OSError as err:
            raise InputError(f"--host {host} --port {port}: cannot listen there ({err.strerror})") from None


def serve(args: argparse.Namespace) -> int:
    """Start the Solara server for ``dashboards/app.py``; returns when it stops."""
    port = free_port(args.host) if args.port == 0 else args.port
    _check_port(args.host, port)
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    from solara.__main__ import cli  # imported late: solara is the dashboard extra

    from dashboards import assets

    try:
        assets.ensure()
    except assets.AssetsError as err:
        print(f"blueline dashboard: warning: {err}; the page may stay blank", flush=True)

    url = f"http://{args.host}:{port}"
    print(f"blueline dashboard: serving on {url} (Ctrl+C to stop)", flush=True)
    options = ["--host", args.host, "--port", str(port), "--production", "--no-check-version"]
    options.append("--no-open" if args.no_browser else "--open")
    cli.main(args=["run", str(APP), *options], standalone_mode=False)
    return 0
