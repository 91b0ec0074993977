"""The console's configuration file (`--config`): application, components, order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConsoleError

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KINDS = ("Deployment",)


@dataclass(frozen=True)
class ComponentConfig:
    kind: str
    name: str
    smoke_test: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppConfig:
    application: str = ""
    namespace: str | None = None
    selector: str | None = None
    production_pattern: str = "prod"
    components: tuple[ComponentConfig, ...] = field(default_factory=tuple)

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
        smoke = entry.get("smoke_test") or ()
        if isinstance(smoke, str) or not all(isinstance(a, str) for a in smoke):
            raise fail(f"smoke_test of {name} must be a list of arguments, e.g. [curl, -fsS, URL]")
        components.append(ComponentConfig(kind, name, tuple(smoke)))
    pattern = str(data.get("production_pattern", "prod"))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise fail(f"production_pattern {pattern!r} is not a regular expression ({exc})") from None
    return AppConfig(
        application=str(app),
        namespace=data.get("namespace"),
        selector=data.get("selector"),
        production_pattern=pattern,
        components=tuple(components),
    )
