"""The console's configuration file (`--config`): application, components, order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .core.errors import ConsoleError

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KINDS = ("Deployment", "Rollout")


DEFAULT_LOG_ERROR_PATTERNS = "ERROR|Traceback|panic|FATAL"
DEFAULT_POD_HEALTH_WINDOW = 60.0  # seconds without a restart before pod health counts as proven


@dataclass(frozen=True)
class ComponentConfig:
    kind: str
    name: str
    smoke_test: tuple[str, ...] = ()
    health_check: tuple[str, ...] = ()


SERVICE = re.compile(r"^(?P<namespace>[a-z0-9][-a-z0-9]*)/(?P<name>[a-z0-9][-a-z0-9]*)(?::(?P<port>[-a-z0-9]+))?$")


@dataclass(frozen=True)
class PrometheusConfig:
    """Where the runbook's metrics and alerts come from (`prometheus:` in the config, `--prometheus URL`)."""

    url: str = ""  # a Prometheus the console reaches directly, e.g. http://127.0.0.1:9090
    # Or "namespace/name:port" reached through the API server's service proxy, so no port-forward is needed.
    service: str = ""
    # "Verify application health" holds when, for `window` seconds after a rollback, both figures stay under these.
    error_ratio_max: float = 0.01
    p95_max: float = 0.5  # seconds
    window: float = 60.0  # seconds
    # rate() over this: at least four scrape intervals (1m suits the usual 15 s scrape; the demo scrapes every 1 s).
    rate_window: str = "1m"

    @property
    def configured(self) -> bool:
        return bool(self.url or self.service)


@dataclass(frozen=True)
class DatabaseConfig:
    """The application's database and its Alembic migrations (`database:` in the config, `--database-url`)."""

    alembic_ini: str = ""  # the application's alembic.ini (relative paths: from the config file's folder)
    url: str = ""  # SQLAlchemy URL, e.g. postgresql+psycopg://app@db/eli (or url_env: the variable holding it)
    url_env: str = ""
    annotation: str = "rollback-console/alembic-head"  # on pod templates: the head their code expects
    versions: tuple[tuple[str, str], ...] = ()  # image tag -> Alembic revision, where no annotation says it
    backup_dir: str = ""  # where backups go (default: the console's state folder, backups/)
    pg_dump: str = ""  # the pg_dump binary (default: pg_dump on PATH)

    @property
    def configured(self) -> bool:
        return bool(self.alembic_ini)

    def database_url(self) -> str:
        """The URL, read from url_env at the moment it is needed (the environment may hold a secret)."""
        import os

        return self.url or (os.environ.get(self.url_env, "") if self.url_env else "")


@dataclass(frozen=True)
class AppConfig:
    application: str = ""
    namespace: str | None = None
    selector: str | None = None
    production_pattern: str = "prod"
    components: tuple[ComponentConfig, ...] = field(default_factory=tuple)
    # Checklist evidence (tui/incident/evidence.py): see examples/eli-maor.yaml.
    notify: tuple[str, ...] = ()
    pod_health_window: float = DEFAULT_POD_HEALTH_WINDOW
    log_error_patterns: str = DEFAULT_LOG_ERROR_PATTERNS
    release: str = ""  # the application's Helm release: shows the Helm pane
    helm: str = ""  # the helm binary (default: helm on PATH)
    rollback_order: tuple[str, ...] = ()  # `order:`: the plan's step order (A); default: the components' order
    stall_after: float = 120.0  # the plan (A): seconds without rollout progress before a step counts as stalled
    prometheus: PrometheusConfig = field(default_factory=PrometheusConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)

    def component(self, name: str) -> ComponentConfig | None:
        return next((c for c in self.components if c.name == name), None)

    @property
    def order(self) -> list[str]:
        return [c.name for c in self.components]

    @property
    def label_selector(self) -> str:
        """The configured selector, else app=<application>, else every Deployment."""
        if self.selector is not None:
            return self.selector
        return f"app={self.application}" if self.application else ""


def load(path: str | Path) -> AppConfig:
    path = Path(path).expanduser()
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConsoleError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    except yaml.YAMLError as exc:
        raise ConsoleError(f"The config file {path} is not valid YAML: {str(exc).splitlines()[0]}.") from None
    except UnicodeDecodeError:
        raise ConsoleError(f"The config file {path} is not text (binary data); pass --config with a YAML file.") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise ConsoleError(f"The config file {path} is nested too deeply to be a console config.") from None
    if not isinstance(data, dict):
        raise ConsoleError(f"The config file {path} must be a YAML mapping with 'application' and 'components'.")

    def fail(what: str) -> ConsoleError:
        return ConsoleError(f"In {path}: {what}.")

    app = data.get("application") or ""
    if app and (not isinstance(app, str) or not NAME.match(app)):
        raise fail(f"application {_shown(app)} is not a valid Kubernetes name")
    components = []
    for n, entry in enumerate(data.get("components") or [], start=1):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise fail(f"component {n} needs a name")
        kind, name = entry.get("kind", "Deployment"), entry["name"]
        if not isinstance(name, str):
            raise fail(f"component {n}'s name must be a string, not {_shown(name)}")
        if kind not in KINDS:
            raise fail(f"component {name} has kind {_shown(kind)}; supported: {', '.join(KINDS)}")
        if not NAME.match(name):
            raise fail(f"component name {_shown(name)} is not a valid Kubernetes name")
        smoke = _arguments(entry.get("smoke_test"), f"smoke_test of {name}", fail)
        health = _arguments(entry.get("health_check"), f"health_check of {name}", fail)
        components.append(ComponentConfig(kind, name, smoke, health))
    pattern = data.get("production_pattern", "prod")
    if not isinstance(pattern, str):
        raise fail(f"production_pattern must be a regular expression, not {_shown(pattern)}")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise fail(f"production_pattern {_shown(pattern)} is not a regular expression ({exc})") from None
    window = data.get("pod_health_window", DEFAULT_POD_HEALTH_WINDOW)
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 <= window <= 3600:
        raise fail(f"pod_health_window {_shown(window)} must be a number of seconds from 0 to 3600, e.g. 60")
    patterns = data.get("log_error_patterns", DEFAULT_LOG_ERROR_PATTERNS)
    if isinstance(patterns, list) and patterns and all(isinstance(p, str) and p for p in patterns):
        patterns = "|".join(f"(?:{p})" for p in patterns)
    if not isinstance(patterns, str) or not patterns:
        raise fail("log_error_patterns must be a regular expression or a list of them, e.g. ERROR|Traceback")
    try:
        re.compile(patterns)
    except re.error as exc:
        raise fail(f"log_error_patterns {_shown(patterns)} is not a regular expression ({exc})") from None
    for key in ("namespace", "selector"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise fail(f"{key} must be a string, not {_shown(data[key])}")
    return AppConfig(
        application=str(app),
        namespace=data.get("namespace"),
        selector=data.get("selector"),
        production_pattern=pattern,
        components=tuple(components),
        notify=_arguments(data.get("notify"), "notify", fail),
        pod_health_window=float(window),
        log_error_patterns=patterns,
        release=_release(data.get("release"), fail),
        helm=_helm(data.get("helm"), fail),
        rollback_order=_order(data.get("order"), fail),
        stall_after=_seconds(data.get("stall_after", 120.0), "stall_after", fail),
        prometheus=_prometheus(data.get("prometheus"), fail),
        database=_database(data.get("database"), path.parent, fail),
    )


def _shown(value) -> str:
    """A value for a message: a scalar as written (cut), a collection by its type. Never the repr of a
    collection: YAML aliases can make a small file a structure too large to print (a billion laughs)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        text = repr(value)
        return text if len(text) <= 80 else text[:79] + "…'"
    return {"list": "a list", "dict": "a mapping"}.get(type(value).__name__, f"a {type(value).__name__}")


def _database(value, folder: Path, fail) -> DatabaseConfig:
    """`database: {alembic_ini: PATH, url: URL | url_env: NAME, annotation, versions: {tag: revision}, ...}`."""
    if value is None or value == "":
        return DatabaseConfig()
    if not isinstance(value, dict):
        raise fail("database must be a mapping, e.g. {alembic_ini: migrations/alembic.ini, url_env: DATABASE_URL}")
    unknown = set(value) - {"alembic_ini", "url", "url_env", "annotation", "versions", "backup_dir", "pg_dump"}
    if unknown:
        raise fail(f"database has no setting {sorted(unknown)[0]!r} (alembic_ini, url, url_env, annotation, "
                   "versions, backup_dir, pg_dump)")
    ini = value.get("alembic_ini")
    if not isinstance(ini, str) or not ini or "\0" in ini:
        raise fail("database needs alembic_ini: the path of the application's alembic.ini")
    url, url_env = value.get("url") or "", value.get("url_env") or ""
    if not isinstance(url, str) or (url and "://" not in url):
        raise fail(f"database url {_shown(url)} must be a SQLAlchemy URL, e.g. postgresql+psycopg://app@db/eli")
    if url_env and (not isinstance(url_env, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", url_env)):
        raise fail(f"database url_env {_shown(url_env)} must be an environment variable's name, e.g. DATABASE_URL")
    if url and url_env:
        raise fail("database takes a url or a url_env, not both")
    annotation = value.get("annotation", "rollback-console/alembic-head")
    if not isinstance(annotation, str) or not re.match(r"^([a-z0-9.-]+/)?[A-Za-z0-9._-]+$", annotation):
        raise fail(f"database annotation {_shown(annotation)} is not an annotation key, e.g. rollback-console/alembic-head")
    versions = value.get("versions") or {}
    if not isinstance(versions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in versions.items()):
        raise fail("database versions must map image tags to Alembic revisions, e.g. {v2.0.0: ad4f51627e83}")
    paths = {}
    for key in ("backup_dir", "pg_dump"):
        got = value.get(key) or ""
        if not isinstance(got, str) or "\0" in got:
            raise fail(f"database {key} must be a path")
        paths[key] = str(_beside(folder, got)) if got else ""
    return DatabaseConfig(alembic_ini=str(_beside(folder, ini)), url=url, url_env=url_env, annotation=annotation,
                          versions=tuple(versions.items()), **paths)


def _beside(folder: Path, path: str) -> Path:
    """A path from the config file: relative ones are read from the config file's folder."""
    expanded = Path(path).expanduser()
    return expanded if expanded.is_absolute() else folder / expanded


def _prometheus(value, fail) -> PrometheusConfig:
    """`prometheus:` a URL, or {url: ...} / {service: namespace/name:port} with optional thresholds."""
    if value is None or value == "":
        return PrometheusConfig()
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict):
        raise fail("prometheus must be a URL or a mapping with url or service, e.g. {service: monitoring/prometheus:9090}")
    url, service = value.get("url") or "", value.get("service") or ""
    if url and (not isinstance(url, str) or not prometheus_url_ok(url)):
        raise fail(f"prometheus url {_shown(url)} must be an http or https URL, e.g. http://127.0.0.1:9090")
    if service and (not isinstance(service, str) or not SERVICE.match(service)):
        raise fail(f"prometheus service {_shown(service)} must be namespace/name:port, e.g. monitoring/prometheus-k8s:9090")
    if url and service:
        raise fail("prometheus takes a url or a service, not both")
    error_ratio = value.get("error_ratio_max", 0.01)
    if isinstance(error_ratio, bool) or not isinstance(error_ratio, (int, float)) or not 0 <= error_ratio <= 1:
        raise fail(f"prometheus error_ratio_max {_shown(error_ratio)} must be a fraction from 0 to 1, e.g. 0.01")
    p95 = value.get("p95_max", 0.5)
    if isinstance(p95, bool) or not isinstance(p95, (int, float)) or not 0 < p95 <= 3600:
        raise fail(f"prometheus p95_max {_shown(p95)} must be a number of seconds, e.g. 0.5")
    rate_window = value.get("rate_window", "1m")
    if not isinstance(rate_window, str) or not re.match(r"^[1-9][0-9]*(s|m|h)$", rate_window):
        raise fail(f"prometheus rate_window {_shown(rate_window)} must be a duration like 30s, 1m or 5m")
    return PrometheusConfig(url=url.rstrip("/"), service=service, error_ratio_max=float(error_ratio),
                            p95_max=float(p95), window=_seconds(value.get("window", 60.0), "prometheus window", fail),
                            rate_window=rate_window)


def prometheus_url_ok(url: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+(/\S*)?$", url))


def _seconds(value, what: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 3600:
        raise fail(f"{what} {_shown(value)} must be a number of seconds from 1 to 3600, e.g. 120")
    return float(value)


def _order(value, fail) -> tuple[str, ...]:
    """`order:` a list of Deployment names: the order "roll back every component" (A) takes them in."""
    if value is None or value == []:
        return ()
    if not isinstance(value, list) or not all(isinstance(n, str) and NAME.match(n) for n in value):
        raise fail("order must be a list of Deployment names, e.g. [eli-maor-backend, eli-maor-worker]")
    return tuple(value)


def _release(value, fail) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > 53 or not NAME.match(value):
        raise fail(f"release {_shown(value)} is not a valid Helm release name (lower-case letters, digits and '-', "
                   "at most 53)")
    return value


def _helm(value, fail) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or "\0" in value:
        raise fail("helm must be the path of the helm binary, e.g. /usr/local/bin/helm")
    return str(Path(value).expanduser())


def _arguments(value, what: str, fail) -> tuple[str, ...]:
    """A command as an argument list (never a shell string): non-empty strings, no NUL bytes."""
    if value is None or value == []:
        return ()
    if isinstance(value, str) or not isinstance(value, list) or not all(
            isinstance(a, str) and a and "\0" not in a for a in value):
        raise fail(f"{what} must be a list of arguments, e.g. [curl, -fsS, URL]")
    return tuple(value)
