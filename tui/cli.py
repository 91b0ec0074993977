"""`rollback-console` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
from pathlib import Path


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: give a positive number such as 20") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: give a positive number such as 20")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: give a number from 0 to 65535") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: give a number from 0 to 65535")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: give a whole number above 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .sandbox.seeds import SEEDS

    parser = argparse.ArgumentParser(
        prog="rollback-console",
        description="Keyboard-driven console for live Kubernetes and Helm rollbacks.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the built-in sandbox cluster with the eli-maor application")
    demo.add_argument("--speed", type=_speed, default=20.0, help="simulated seconds per real second (default 20)")
    demo.add_argument("--kubeconfig-out", type=Path, help="where to write the sandbox's kubeconfig")

    sandbox = commands.add_parser("sandbox", help="the local Kubernetes API sandbox")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=0, help="port to listen on (default 0: a free port)")
    serve.add_argument("--kubeconfig-out", type=Path, help="where to write the kubeconfig (default: a temp file)")
    serve.add_argument("--seed", choices=SEEDS, default="eli-maor", help="starting state (default eli-maor)")
    serve.add_argument("--speed", type=_speed, default=1.0, help="simulated seconds per real second (default 1)")
    serve.add_argument("--history-window", type=_positive, default=20000, metavar="N",
                       help="watch events kept for resuming watches; older resourceVersions get 410 Gone (default 20000)")
    return parser


async def _serve(seed: str, host: str, port: int, speed: float, kubeconfig_out: Path | None, banner,
                 history_window: int = 20000) -> int:
    from .sandbox.cluster import Sandbox, start
    from .sandbox.kubeconfig import write_kubeconfig
    from .sandbox.seeds import APP_NAMESPACE

    sandbox = Sandbox(seed, history_window=history_window)
    try:
        running = await start(sandbox, host, port, speed)
    except OSError as exc:
        print(f"rollback-console: cannot listen on {host}:{port}: {exc.strerror}; choose another --host or --port.",
              file=sys.stderr)
        return 1
    if kubeconfig_out is None:
        kubeconfig_out = Path(tempfile.mkdtemp(prefix="rollback-console-")) / "kubeconfig"
    namespace = APP_NAMESPACE if seed == "eli-maor" else "default"
    path = write_kubeconfig(kubeconfig_out, running.url, namespace)
    # Handlers first: a SIGTERM right after the ready line must still stop cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"sandbox ready: {running.url} kubeconfig={path}", flush=True)
    if banner:
        banner(path)
    await stop.wait()
    await running.stop()
    return 0


def _demo_banner(path: Path) -> None:
    print(
        "\nThe console itself is not built yet; the sandbox cluster is running.\n"
        "In another terminal, drive it with kubectl:\n\n"
        f"  export KUBECONFIG={path}\n"
        "  kubectl get deploy,rs,pods\n"
        "  kubectl rollout history deployment/eli-maor-backend\n"
        "  kubectl set image deployment/eli-maor-backend backend=ghcr.io/eli-maor/backend:v2.1.0-crashloop\n"
        "  kubectl rollout status deployment/eli-maor-backend --timeout=30s\n"
        "  kubectl rollout undo deployment/eli-maor-backend\n\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "sandbox" and args.sandbox_command == "serve":
        return asyncio.run(_serve(args.seed, args.host, args.port, args.speed, args.kubeconfig_out, None,
                                  args.history_window))
    if args.command == "demo":
        return asyncio.run(_serve("eli-maor", "127.0.0.1", 0, args.speed, args.kubeconfig_out, _demo_banner))
    build_parser().print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
