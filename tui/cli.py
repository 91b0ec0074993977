"""`rollback-console` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
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
    try:
        from kube_sandbox.seeds import SEEDS
    except ModuleNotFoundError as exc:  # without the sandbox extra `sandbox serve` says so, whatever --seed
        if not _sandbox_extra_missing(exc):
            raise
        SEEDS = None

    parser = argparse.ArgumentParser(
        prog="rollback-console",
        description="Keyboard-driven console for live Kubernetes and Helm rollbacks. "
        "Without a command it opens the console on your cluster, connecting like kubectl.",
    )
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    parser.add_argument("--context", help="kubeconfig context (default: the current context)")
    parser.add_argument("-n", "--namespace", help="namespace (default: the config file's, then the context's)")
    parser.add_argument("-l", "--selector", help="label selector choosing the components "
                        "(default: app=<application> from --config, else every Deployment)")
    parser.add_argument("--config", help="YAML file naming the application and its components "
                        "(see examples/eli-maor.yaml)")
    parser.add_argument("--read-only", action="store_true", help="disable every action")
    parser.add_argument("--prod-pattern", help="regular expression marking production contexts or namespaces "
                        "(default: prod)")
    parser.add_argument("--report-dir", type=Path, help="where incident reports are written (e previews the "
                        "report, w in the preview writes it; default: next to the incident's log in "
                        "$XDG_STATE_HOME/rollback-console)")
    parser.add_argument("--release", help="the application's Helm release: shows the Helm pane "
                        "(default: release: from --config; the demo's is eli-maor)")
    parser.add_argument("--helm", metavar="PATH", help="the helm binary, 3 or 4 (default: helm: from --config, "
                        "else helm on PATH)")
    parser.add_argument("--prometheus", metavar="URL", help="Prometheus for the runbook's metrics and alerts, "
                        "e.g. http://127.0.0.1:9090 (default: prometheus: from --config; the demo starts its own)")
    parser.add_argument("--database-url", metavar="URL", help="the application's database, a SQLAlchemy URL "
                        "(e.g. postgresql+psycopg://app@db/eli), for the Database view (D); needs database.alembic_ini "
                        "in --config (default: database.url or url_env from --config; the demo has its own)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="open the console on the built-in sandbox cluster (eli-maor application)")
    demo.add_argument("--speed", type=_speed, default=20.0, help="simulated seconds per real second (default 20)")
    demo.add_argument("--seed", choices=("eli-maor", "eli-maor-canary"), default="eli-maor",
                      help="the sandbox's starting state; eli-maor-canary runs the backend as the runbook's "
                           "Argo Rollouts canary (default eli-maor)")
    demo.add_argument("--kubeconfig-out", type=Path,
                      help="where to write the sandbox's kubeconfig, to use kubectl on it from another terminal")
    demo.add_argument("--database-url-out", type=Path, metavar="PATH",
                      help="where to write the demo database's URL, to run alembic on it from another terminal "
                           "(ELI_MAOR_DATABASE_URL=$(cat PATH) alembic -c examples/eli-maor-migrations/alembic.ini "
                           "current)")

    sandbox = commands.add_parser("sandbox", help="the local Kubernetes API sandbox")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=0, help="port to listen on (default 0: a free port)")
    serve.add_argument("--kubeconfig-out", type=Path, help="where to write the kubeconfig (default: a temp file, "
                       "removed when the sandbox stops)")
    serve.add_argument("--remove-on-exit", type=Path, metavar="DIR", help="a folder of the caller's to remove when "
                       "the sandbox stops, even if the caller was killed (the demo's kubeconfig folder)")
    serve.add_argument("--seed", choices=SEEDS, default="eli-maor", help="starting state (default eli-maor)")
    serve.add_argument("--speed", type=_speed, default=1.0, help="simulated seconds per real second (default 1)")
    serve.add_argument("--service-proxy", action="append", default=[], metavar="NS/NAME:PORT=URL",
                       help="serve a Service NS/NAME whose API server proxy path forwards to URL, "
                            "e.g. monitoring/prometheus:9090=http://127.0.0.1:9091 (repeatable)")
    serve.add_argument("--history-window", type=_positive, default=20000, metavar="N",
                       help="watch events kept for resuming watches; older resourceVersions get 410 Gone (default 20000)")
    report = commands.add_parser("report", help="print (or write) an incident's Markdown report from its log, "
                                 "without the console")
    report.add_argument("incident", metavar="INCIDENT", help="the incident's name (see `rollback-console incidents`)")
    report.add_argument("-o", "--output", type=Path, help="write the report to this file instead of printing it")
    commands.add_parser("incidents", help="list the incidents recorded in $XDG_STATE_HOME/rollback-console")
    grafana = commands.add_parser("grafana-dashboard", help="print a Grafana dashboard (JSON) with the runbook's "
                                  "panels: the Metrics view's queries, per namespace and deployment")
    grafana.add_argument("--application", help="its title (default: application: from --config, else eli-maor)")
    return parser


# What `pip install 'rollback-console[sandbox]'` adds (jsonpointer comes with jsonpatch).
_SANDBOX_EXTRA = ("aiohttp", "jsonpatch", "jsonpointer", "prometheus_client")


def _sandbox_extra_missing(exc: ModuleNotFoundError) -> bool:
    return (exc.name or "").partition(".")[0] in _SANDBOX_EXTRA


def _needs_sandbox_extra(what: str) -> int:
    print(f"rollback-console: {what} needs the sandbox extra (aiohttp, jsonpatch, prometheus-client); "
          "install it with: pip install 'rollback-console[sandbox]'", file=sys.stderr)
    return 1


async def _serve(seed: str, host: str, port: int, speed: float, kubeconfig_out: Path | None,
                 history_window: int = 20000, service_proxy: list[str] | None = None,
                 remove_on_exit: Path | None = None) -> int:
    try:
        from kube_sandbox.cluster import Sandbox, start
        from kube_sandbox.helm_seed import SeedReleaseError
        from kube_sandbox.kubeconfig import write_kubeconfig
        from kube_sandbox.seeds import APP_NAMESPACE
        from kube_sandbox.service_proxy import ProxySpecError, parse_spec
    except ModuleNotFoundError as exc:
        if not _sandbox_extra_missing(exc):
            raise
        return _needs_sandbox_extra("the sandbox")
    try:
        upstreams = tuple(parse_spec(text) for text in service_proxy or ())
    except ProxySpecError as exc:
        print(f"rollback-console: {exc}", file=sys.stderr)
        return 2

    try:
        sandbox = Sandbox(seed, history_window=history_window)
    except SeedReleaseError as exc:  # the chart or its rendered manifests are missing
        print(f"rollback-console: {exc}", file=sys.stderr)
        return 1
    try:
        running = await start(sandbox, host, port, speed, upstreams)
    except OSError as exc:
        print(f"rollback-console: cannot listen on {host}:{port}: {exc.strerror}; choose another --host or --port.",
              file=sys.stderr)
        return 1
    if kubeconfig_out is None:  # a folder of its own, removed as it stops: no credentials left behind
        remove_on_exit = Path(tempfile.mkdtemp(prefix="rollback-console-"))
        kubeconfig_out = remove_on_exit / "kubeconfig"
    namespace = APP_NAMESPACE if seed.startswith("eli-maor") else "default"
    path = write_kubeconfig(kubeconfig_out, running.url, namespace)
    # Handlers first: a SIGTERM right after the ready line must still stop cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGHUP too: a terminal that closes hangs up its whole process group, the demo's sandbox included.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    print(f"sandbox ready: {running.url} kubeconfig={path}", flush=True)
    await stop.wait()
    await running.stop()
    if remove_on_exit is not None:
        await _remove(remove_on_exit)
    return 0


async def _remove(folder: Path, patience: float = 6.0, settled: float = 1.5) -> None:
    """Remove a folder that a sibling (the demo's Prometheus, stopping as its parent died too) may still be
    writing into: again until it has stayed gone for `settled` seconds, for at most `patience` seconds."""
    deadline = time.monotonic() + patience
    gone_since = None
    while time.monotonic() < deadline:
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            gone_since = None
        elif gone_since is None:
            gone_since = time.monotonic()
        elif time.monotonic() - gone_since >= settled:
            return
        await asyncio.sleep(0.2)


def _console(args: argparse.Namespace) -> int:
    from .app import RollbackConsole
    from .appconfig import AppConfig, load
    from .core.errors import ConsoleError
    from .incident.recorder import IncidentSettings
    from .kube.config import locate

    try:
        config = load(args.config) if args.config else AppConfig()
        config = _with_database_url(config, args.database_url)  # before the cluster: a usage error comes first
        target = locate(args.kubeconfig, args.context, args.namespace or config.namespace)
        release = _release_of(args, config.release)
        config = _with_prometheus(config, args.prometheus)
    except ConsoleError as exc:
        print(f"rollback-console: {exc.message}", file=sys.stderr)
        return 1
    app = RollbackConsole(
        target,
        read_only=args.read_only,
        prod_pattern=args.prod_pattern or config.production_pattern,
        selector=args.selector if args.selector is not None else config.label_selector,
        order=config.order,
        incident=IncidentSettings(report_dir=args.report_dir),
        release=release,
        helm=args.helm or config.helm or "helm",
        config=config,
        exit_on_signals=True,
    )
    app.run()
    return _leave(app, app.return_code or 0)


def _demo(args: argparse.Namespace) -> int:
    import importlib.util

    try:
        from kube_sandbox.process import SandboxStartError
        from kube_sandbox.seeds import APP, COMPONENTS
        if importlib.util.find_spec("aiohttp") is None:  # imported by the sandbox's process, not this one
            raise ModuleNotFoundError("No module named 'aiohttp'", name="aiohttp")
    except ModuleNotFoundError as exc:
        if not _sandbox_extra_missing(exc):
            raise
        return _needs_sandbox_extra("the demo")
    from .app import RollbackConsole
    from .core.errors import ConsoleError
    from .demo.prometheus import find_prometheus
    from .incident.recorder import IncidentSettings
    from .kube.config import connect

    # A kubeconfig of our own in a folder of our own, removed however the demo ends (quit, crash, a
    # closed terminal's SIGHUP, SIGTERM): nothing holding credentials is left in the temporary folder.
    folder = None if args.kubeconfig_out else Path(tempfile.mkdtemp(prefix="rollback-console-"))
    kubeconfig = args.kubeconfig_out or folder / "kubeconfig"
    # The demo's database lives in that folder; with --kubeconfig-out, in one of its own (removed the same way).
    db_folder = Path(tempfile.mkdtemp(prefix="rollback-console-db-")) if folder is None else folder
    previous = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGHUP, signal.SIGTERM)}
    app = None
    try:
        with _demo_backends(kubeconfig, args.speed, find_prometheus(), args.seed, folder) as (sandbox, prometheus):
            target = connect(sandbox.kubeconfig)
            database_url = _demo_database(folder or db_folder, args.database_url_out)
            app = RollbackConsole(target, selector=f"app={APP}", order=[c.deployment for c in COMPONENTS],
                                  read_only=args.read_only, incident=IncidentSettings(report_dir=args.report_dir),
                                  release=_release_of(args, APP), helm=args.helm or _demo_helm(),
                                  config=_demo_config(sandbox.kubeconfig, prometheus is not None, args.seed,
                                                      database_url),
                                  exited=_exited(sandbox), exit_on_signals=True)
            app.run()
            code = app.return_code or 0
    except SandboxStartError as exc:
        print(f"rollback-console: {exc}", file=sys.stderr)
        return 1
    except ConsoleError as exc:
        print(f"rollback-console: {exc.message}", file=sys.stderr)
        code = 1
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(db_folder, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if folder is not None:
        print("The sandbox has stopped, and its temporary kubeconfig is removed.")
    return _leave(app, code)


def _exit_on_signal(signum, frame) -> None:
    """SIGHUP (the terminal closed) or SIGTERM before the console runs (the sandbox starting): leave through
    the finally blocks, which clean up. While it runs, the console's own handler quits it as q does."""
    raise SystemExit(128 + signum)


def _exited(sandbox) -> Callable[[], str]:
    """For the console's flash line: a sentence once the demo's sandbox child has exited. Polling reaps
    it, so no defunct process is left while the console stays open."""
    def exited() -> str:
        code = sandbox.proc.poll()
        if code is None:
            return ""
        return (f"The demo's sandbox (pid {sandbox.proc.pid}) exited with code {code}; the rows are as of "
                "then. Quit (q) and run rollback-console demo again.")

    return exited


def _leave(app, code: int) -> int:
    """Quitting is immediate: an operation still in flight (its worker thread waiting on a rollout) carries
    on in the cluster, as the audit log says, and must not hold the process until it times out."""
    if app is not None and app.left_in_flight:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


DEMO_PROMETHEUS_SERVICE = "monitoring/prometheus:9090"
DEMO_RULES = Path(__file__).resolve().parent.parent / "examples" / "prometheus" / "rules.yaml"


@contextlib.contextmanager
def _demo_backends(kubeconfig: Path, speed: float, prometheus_binary: Path | None, seed: str = "eli-maor",
                   folder: Path | None = None):
    """The demo's sandbox and, when its binary was found, a Prometheus scraping it (else None);
    both are stopped on the way out, whatever happened inside (a console crash too). `folder` (the demo's
    own, holding the kubeconfig and Prometheus's data) is removed by the sandbox as it stops, so even a
    demo killed with -9 leaves nothing behind: the sandbox gets SIGTERM when its parent dies."""
    from kube_sandbox.process import SandboxProcess

    from .demo.prometheus import free_port

    # Prometheus's port is chosen first: the sandbox proxies its Service to it, as an API server would.
    port = free_port() if prometheus_binary else None
    proxy = ("--service-proxy", f"{DEMO_PROMETHEUS_SERVICE}=http://127.0.0.1:{port}") if port else ()
    owned = ("--remove-on-exit", str(folder)) if folder is not None else ()
    sandbox = SandboxProcess.start(kubeconfig, seed, speed, *proxy, *owned, die_with_parent=True)
    prometheus = None
    try:
        if prometheus_binary and port:
            prometheus = _demo_prometheus(prometheus_binary, sandbox.url, port, folder)
        yield sandbox, prometheus
    finally:
        if prometheus is not None:
            prometheus.stop()
            shutil.rmtree(prometheus.log.parent, ignore_errors=True)
        sandbox.stop()


def _demo_prometheus(binary: Path, sandbox_url: str, port: int, folder: Path | None = None):
    """Prometheus scraping the demo's sandbox with the runbook's rules; None (and one sentence) if it fails."""
    from .demo.prometheus import PrometheusProcess, PrometheusStartError

    workdir = Path(tempfile.mkdtemp(prefix="prometheus-", dir=folder) if folder is not None
                   else tempfile.mkdtemp(prefix="rollback-console-prometheus-"))
    rules = [DEMO_RULES] if DEMO_RULES.is_file() else []  # a source checkout has them; a wheel does not
    try:
        return PrometheusProcess.start(binary, workdir, sandbox_url.removeprefix("http://"), rules, port,
                                       die_with_parent=True)
    except PrometheusStartError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"rollback-console: {exc}; the demo goes on without metrics.", file=sys.stderr)
        return None


def _demo_database(folder: Path, url_out: Path | None) -> str:
    """The demo's SQLite database at the current release's head (tui/demo/database.py), in the demo's folder;
    its URL written to --database-url-out. "" (and a sentence) when it cannot be made."""
    from .demo import database

    if not database.available():
        return ""
    try:
        url = database.create(folder / "database")
    except Exception as exc:  # noqa: BLE001 - the demo goes on without a database, saying why
        print(f"rollback-console: the demo's database could not be created ({type(exc).__name__}: {exc}); "
              "the demo goes on without it.", file=sys.stderr)
        return ""
    if url_out is not None:
        url_out.parent.mkdir(parents=True, exist_ok=True)
        url_out.write_text(url + "\n")
    return url


def _demo_config(kubeconfig: Path, prometheus: bool = False, seed: str = "eli-maor", database_url: str = ""):
    """The demo's checklist evidence: a smoke test (tui/demo/smoke.py) for the components with a Service;
    the demo's Prometheus through the sandbox's service proxy when it runs."""
    from kube_sandbox.seeds import APP, APP_NAMESPACE, COMPONENTS

    from .appconfig import AppConfig, ComponentConfig, DatabaseConfig, PrometheusConfig
    from .demo import database

    def smoke(deployment: str) -> tuple[str, ...]:
        return (sys.executable, "-m", "tui.demo.smoke", "--kubeconfig", str(kubeconfig), "-n", APP_NAMESPACE,
                deployment)

    served = {"backend", "frontend"}  # the seed's Services
    # 15 s of wall-clock steadiness is 5 simulated minutes at the demo's default speed.
    return AppConfig(application=APP, namespace=APP_NAMESPACE, pod_health_window=15.0, components=tuple(
        # eli-maor-canary runs the backend as the runbook's Argo Rollout.
        ComponentConfig("Rollout" if seed == "eli-maor-canary" and c.name == "backend" else "Deployment",
                        c.deployment, smoke(c.deployment) if c.name in served else ())
        for c in COMPONENTS),
        # Scraped every second: rate() over 10 s reacts within seconds; health must hold for 15 s after a rollback.
        prometheus=PrometheusConfig(service=DEMO_PROMETHEUS_SERVICE, rate_window="10s", window=15.0)
        if prometheus else PrometheusConfig(),
        database=DatabaseConfig(alembic_ini=str(database.INI), url=database_url,
                                versions=tuple(database.VERSIONS.items()),
                                backup_dir=str(Path(database_url.removeprefix("sqlite:///")).parent / "backups"))
        if database_url else DatabaseConfig())


def _demo_helm() -> str:
    """The demo's helm: on PATH, else the newest one `make tools` fetched into .tools/ (a clean clone)."""
    if shutil.which("helm"):
        return "helm"
    tools = Path(__file__).resolve().parent.parent / ".tools"
    found = [p for p in tools.glob("helm-*/helm") if p.is_file()]

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) if n.isdigit() else 0 for n in path.parent.name.removeprefix("helm-").split("."))

    return str(max(found, key=version)) if found else "helm"


def _with_prometheus(config, url: str | None):
    """--prometheus URL overrides the config file's prometheus: (its thresholds are kept)."""
    import dataclasses

    from .appconfig import prometheus_url_ok
    from .core.errors import ConsoleError

    if not url:
        return config
    if not prometheus_url_ok(url):
        raise ConsoleError(f"--prometheus {url!r} must be an http or https URL, e.g. http://127.0.0.1:9090")
    return dataclasses.replace(config, prometheus=dataclasses.replace(config.prometheus, url=url.rstrip("/"),
                                                                      service=""))


def _with_database_url(config, url: str | None):
    """--database-url overrides the config file's database url (or url_env)."""
    import dataclasses

    from .core.errors import ConsoleError

    if not url:
        return config
    if not config.database.alembic_ini:
        raise ConsoleError("--database-url needs database.alembic_ini in the config file (--config): the "
                           "migrations it is judged against.")
    if "://" not in url:
        raise ConsoleError(f"--database-url must be a SQLAlchemy URL, e.g. postgresql+psycopg://app@db/eli; "
                           f"got {url.partition(':')[0]!r}…")
    return dataclasses.replace(config, database=dataclasses.replace(config.database, url=url, url_env=""))


def _grafana(args: argparse.Namespace) -> int:
    from .appconfig import load
    from .core.errors import ConsoleError
    from .grafana import dashboard_json

    try:
        application = args.application or (load(args.config).application if args.config else "") or "eli-maor"
    except ConsoleError as exc:
        print(f"rollback-console: {exc.message}", file=sys.stderr)
        return 1
    print(dashboard_json(application))
    return 0


def _release_of(args: argparse.Namespace, default: str) -> str:
    """--release (validated: it reaches helm's command line), else the config's or the demo's."""
    from .core.errors import ConsoleError
    from .helm.release import valid_release_name

    release = args.release if args.release is not None else default
    if release and not valid_release_name(release):
        raise ConsoleError(f"--release {release!r} is not a valid Helm release name (lower-case letters, "
                           "digits and '-', at most 53).")
    return release


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "sandbox" and args.sandbox_command == "serve":
        return asyncio.run(_serve(args.seed, args.host, args.port, args.speed, args.kubeconfig_out,
                                  args.history_window, args.service_proxy, args.remove_on_exit))
    if args.command == "demo":
        return _demo(args)
    if args.command == "grafana-dashboard":
        return _grafana(args)
    if args.command in ("report", "incidents"):
        from .incident.commands import incidents, report

        return report(args.incident, args.output) if args.command == "report" else incidents()
    return _console(args)


if __name__ == "__main__":
    sys.exit(main())
