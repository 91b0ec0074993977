"""The describe/YAML view's text: the live object as `kubectl get -o yaml` prints it (managedFields dropped) and a
describe-like summary (replicas, strategy, selector, conditions, events). Plain Python, on dicts as the API sends them.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from .rollout import summarize
from .times import parse_rfc3339


def without_managed_fields(obj: dict) -> dict:
    """The object as `kubectl get -o yaml --show-managed-fields=false` shows it."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return {**obj, "metadata": meta}


def to_yaml(obj: dict) -> str:
    return yaml.safe_dump(without_managed_fields(obj), sort_keys=False, default_flow_style=False, width=1000)


def _labels(mapping: dict | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((mapping or {}).items())) or "<none>"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _selector(spec: dict) -> str:
    selector = spec.get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or []:
        parts.append(f"{e.get('key')} {e.get('operator', '').lower()} ({','.join(e.get('values') or [])})")
    return ",".join(parts) or "<none>"


def describe(obj: dict, events: Iterable[dict], now: float) -> list[str]:
    """`kubectl describe deployment`'s main sections, in its words, as lines."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    strategy = spec.get("strategy") or {}
    lines = [
        f"Name:                   {meta.get('name', '')}",
        f"Namespace:              {meta.get('namespace', '')}",
        f"CreationTimestamp:      {meta.get('creationTimestamp', '')}",
        f"Labels:                 {_labels(meta.get('labels'))}",
        "Annotations:            " + ("\n                        ".join(
            f"{k}: {v}" for k, v in sorted((meta.get("annotations") or {}).items())) or "<none>"),
        f"Selector:               {_selector(spec)}",
        f"Replicas:               {spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable",
        f"StrategyType:           {_strategy_type(obj)}",
        f"MinReadySeconds:        {spec.get('minReadySeconds', 0)}",
    ]
    rolling = strategy.get("rollingUpdate")
    if obj.get("kind") == "Rollout" or "canary" in strategy or "blueGreen" in strategy:
        lines += _rollout_lines(obj)
    elif strategy.get("type", "RollingUpdate") == "RollingUpdate":
        rolling = rolling or {}
        lines.append(f"RollingUpdateStrategy:  {rolling.get('maxUnavailable', '25%')} max unavailable, "
                     f"{rolling.get('maxSurge', '25%')} max surge")
    if spec.get("paused"):
        lines.append("Paused:                 true")
    lines.append("Pod Template:")
    for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []:
        lines.append(f"  {c.get('name')}:")
        lines.append(f"    Image:      {c.get('image', '')}")
        ports = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or [])
        lines.append(f"    Port:       {ports or '<none>'}")
    lines.append("Conditions:")
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("  Type           Status  Reason")
        lines.append("  ----           ------  ------")
        lines += [f"  {c.get('type', ''):<14} {c.get('status', ''):<7} {c.get('reason', '')}" for c in conditions]
    else:
        lines.append("  <none>")
    lines.append("Events:")
    ordered = sorted(events, key=_last_seen)
    if not ordered:
        lines.append("  <none>")
        return lines
    lines.append("  Type     Reason             Age    From                   Message")
    lines.append("  ----     ------             ----   ----                   -------")
    for e in ordered:
        seen = _last_seen(e)
        count = e.get("count") or 1
        age = _age(now - seen) + (f" (x{count})" if count > 1 else "") if seen else "<unknown>"
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        lines.append(f"  {e.get('type', ''):<8} {e.get('reason', ''):<18} {age:<6} {source:<22} "
                     f"{(e.get('message') or '').strip()}")
    return lines


def _flow(value) -> str:
    """A step's value as YAML's flow style writes it: {duration: 2m}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return str(value)


def _strategy_type(obj: dict) -> str:
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    if "canary" in strategy:
        return "Canary"
    if "blueGreen" in strategy:
        return "BlueGreen"
    return strategy.get("type", "RollingUpdate")


def _rollout_lines(obj: dict) -> list[str]:
    """An Argo Rollout's status as the plugin's `get rollout` header says it: phase, message, step, weights."""
    s = summarize(obj, [])
    lines = [f"Status:                 {s.phase}" + (f" ({s.message})" if s.message else "")]
    if s.step_text:
        lines.append(f"Step:                   {s.step_text}")
    if s.strategy == "Canary":
        lines.append(f"SetWeight:              {s.set_weight}")
        canary = ((obj.get("spec") or {}).get("strategy") or {}).get("canary") or {}
        for n, step in enumerate(canary.get("steps") or []):
            mark = "→" if n == s.step else " "
            text = ", ".join(f"{k}: {_flow(v)}" for k, v in step.items())
            lines.append(f"  {mark} {n}: {text}")
    return lines


def _last_seen(event: dict) -> float:
    text = event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get(
        "creationTimestamp") or ""
    return parse_rfc3339(text) or 0.0
