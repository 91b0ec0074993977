"""Drift: how a live workload differs from its Helm release's deployed manifest.

Someone ran `kubectl set image` or `kubectl set env`: the release no longer
says what runs. What matters is compared: each container's image and env, and
the replica count when the chart sets one. A Helm rollback patches from the
deployed manifest to the target's (a three-way merge): a field the target
sets is set back; a field no manifest ever set (an env var added by hand)
is left as it is. `rollback_effect` says which is which, for the preview.
"""

from __future__ import annotations

from dataclasses import dataclass

Key = tuple[str, ...]


@dataclass(frozen=True)
class Charted:
    """A workload as its release's deployed revision renders it."""

    release: str
    revision: int
    doc: dict  # the manifest's document for the workload


@dataclass(frozen=True)
class Drift:
    key: Key  # ("replicas",) | (container, "image") | (container, "env", NAME)
    live: str  # "" when absent
    chart: str  # "" when the manifest does not set it

    @property
    def what(self) -> str:
        if self.key == ("replicas",):
            return "replicas"
        if self.key[1] == "image":
            return f"{self.key[0]} image"
        return f"{self.key[0]} env {self.key[2]}"

    @property
    def short(self) -> str:
        """A few words: "backend image v2.1.0", "backend env LOG_LEVEL=debug", "backend env X removed"."""
        if self.key[1:2] == ("env",):
            return f"{self.what}={self.live}" if self.live else f"{self.what} removed"
        return f"{self.what} {self.live or '<none>'}"

    @property
    def said(self) -> str:
        """One phrase: "backend image v2.1.0 (release: v2.0.0)", "backend env LOG_LEVEL=debug (not in the release)"."""
        if self.key[1:2] == ("env",):
            if not self.chart:
                return f"{self.what}={self.live} (not in the release)"
            if not self.live:
                return f"{self.what} removed (release: {self.chart})"
        return f"{self.what} {self.live or '<none>'} (release: {self.chart or '<none>'})"


def _env_value(var: dict) -> str:
    if "value" in var:
        return str(var["value"])
    if var.get("valueFrom"):
        source = var["valueFrom"]
        kind = next(iter(source), "valueFrom")
        ref = source.get(kind) or {}
        return f"<{kind} {ref.get('name', '')}{'/' + ref['key'] if ref.get('key') else ''}>"
    return ""


def facts(obj: dict) -> dict[Key, str]:
    """What matters of a workload (live or as rendered): replicas when set, images and env per container."""
    spec = obj.get("spec") or {}
    found: dict[Key, str] = {}
    if spec.get("replicas") is not None:
        found[("replicas",)] = str(spec["replicas"])
    for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []:
        name = str(c.get("name", ""))
        found[(name, "image")] = str(c.get("image", ""))
        for var in c.get("env") or []:
            found[(name, "env", str(var.get("name", "")))] = _env_value(var)
    return found


def _short_image(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    return tail.split(":", 1)[1] if ":" in tail else image


def drift(live: dict, rendered: dict) -> list[Drift]:
    """How `live` differs from `rendered` in what matters (images shown by tag)."""
    have, want = facts(live), facts(rendered)
    containers = {k[0] for k in want if len(k) > 1}
    found = []
    for key in sorted(set(have) | set(want)):
        if key == ("replicas",) and key not in want:
            continue  # the chart leaves replicas to whoever scales (an HPA, an operator)
        if len(key) > 1 and key[0] not in containers:
            continue  # a container the chart does not render
        live_value, chart_value = have.get(key, ""), want.get(key, "")
        if live_value != chart_value:
            if key[1:] == ("image",):
                live_value, chart_value = _short_image(live_value), _short_image(chart_value)
            found.append(Drift(key, live_value, chart_value))
    return found


def rollback_effect(live: dict, deployed: dict, target: dict) -> tuple[list[str], list[str]]:
    """The out-of-band changes (live against the deployed manifest) a Helm rollback to `target`
    replaces (the target sets that field: "backend image v2.1.0 → v2.0.1") and those it keeps
    (no manifest sets it), one phrase each."""
    sets = facts(target)
    reverted, kept = [], []
    for d in drift(live, deployed):
        if d.key in sets or d.chart:
            then = sets.get(d.key, "")
            then = _short_image(then) if d.key[1:] == ("image",) else then
            reverted.append(f"{d.what} {d.live or '<none>'} → {then or '<removed>'}")
        else:
            kept.append(d.said)
    return reverted, kept
