"""The console's configuration file (`--config`): application, components, order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .core.errors import ConsoleError

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KINDS = ("Deployment",)


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
    if app and not NAME.match(str(app)):
        raise fail(f"application {app!r} is not a valid Kubernetes name")
    components = []
    for n, entry in enumerate(data.get("components") or [], start=1):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise fail(f"component {n} needs a name")
        kind, name = entry.get("kind", "Deployment"), str(entry["name"])
        if kind not in KINDS:
            raise fail(f"component {name} has kind {kind!r}; supported: {', '.join(KINDS)}")
        if not NAME.match(name):
            raise fail(f"component name {name!r} is not a valid Kubernetes name")
        smoke = _arguments(entry.get("smoke_test"), f"smoke_test of {name}", fail)
        health = _arguments(entry.get("health_check"), f"health_check of {name}", fail)
        components.append(ComponentConfig(kind, name, smoke, health))
    pattern = str(data.get("production_pattern", "prod"))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise fail(f"production_pattern {pattern!r} is not a regular expression ({exc})") from None
    window = data.get("pod_health_window", DEFAULT_POD_HEALTH_WINDOW)
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 <= window <= 3600:
        raise fail(f"pod_health_window {window!r} must be a number of seconds from 0 to 3600, e.g. 60")
    patterns = data.get("log_error_patterns", DEFAULT_LOG_ERROR_PATTERNS)
    if isinstance(patterns, list) and patterns and all(isinstance(p, str) and p for p in patterns):
        patterns = "|".join(f"(?:{p})" for p in patterns)
    if not isinstance(patterns, str) or not patterns:
        raise fail("log_error_patterns must be a regular expression or a list of them, e.g. ERROR|Traceback")
    try:
        re.compile(patterns)
    except re.error as exc:
        raise fail(f"log_error_patterns {patterns!r} is not a regular expression ({exc})") from None
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
    )


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
        raise fail(f"prometheus url {url!r} must be an http or https URL, e.g. http://127.0.0.1:9090")
    if service and (not isinstance(service, str) or not SERVICE.match(service)):
        raise fail(f"prometheus service {service!r} must be namespace/name:port, e.g. monitoring/prometheus-k8s:9090")
    if url and service:
        raise fail("prometheus takes a url or a service, not both")
    error_ratio = value.get("error_ratio_max", 0.01)
    if isinstance(error_ratio, bool) or not isinstance(error_ratio, (int, float)) or not 0 <= error_ratio <= 1:
        raise fail(f"prometheus error_ratio_max {error_ratio!r} must be a fraction from 0 to 1, e.g. 0.01")
    p95 = value.get("p95_max", 0.5)
    if isinstance(p95, bool) or not isinstance(p95, (int, float)) or not 0 < p95 <= 3600:
        raise fail(f"prometheus p95_max {p95!r} must be a number of seconds, e.g. 0.5")
    rate_window = value.get("rate_window", "1m")
    if not isinstance(rate_window, str) or not re.match(r"^[1-9][0-9]*(s|m|h)$", rate_window):
        raise fail(f"prometheus rate_window {rate_window!r} must be a duration like 30s, 1m or 5m")
    return PrometheusConfig(url=url.rstrip("/"), service=service, error_ratio_max=float(error_ratio),
                            p95_max=float(p95), window=_seconds(value.get("window", 60.0), "prometheus window", fail),
                            rate_window=rate_window)


def prometheus_url_ok(url: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+(/\S*)?$", url))


def _seconds(value, what: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 3600:
        raise fail(f"{what} {value!r} must be a number of seconds from 1 to 3600, e.g. 120")
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
        raise fail(f"release {value!r} is not a valid Helm release name (lower-case letters, digits and '-', "
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
