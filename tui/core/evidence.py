"""Evidence for the runbook's checklist: plain functions over what the console sees (no Textual, no I/O).

Each evaluator turns observations (pods from the ClusterState, a Service's
ready endpoints, log text, a command's exit code) into a `Verdict`: proven,
disproven, or not known yet, with one line saying what was seen. Workers in
`tui.incident.checks` do the reading and running; these decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .state import pod_summary

# How much of each container's log the log scan reads (the checklist's "no errors in recent logs").
TAIL_LINES = 500  # per container: "recent" logs
SINCE_SECONDS = 900  # and no older than this


@dataclass(frozen=True)
class Verdict:
    ok: bool | None  # True: proven; False: checked, and it is not so; None: not known yet
    text: str


def combine(verdicts: Mapping[str, Verdict]) -> Verdict:
    """One verdict for several components: proven when all are, failing when any fails."""
    if not verdicts:
        return Verdict(None, "")
    failing = [v.text for v in verdicts.values() if v.ok is False]
    if failing:
        return Verdict(False, "\n".join(failing))
    pending = [v.text for v in verdicts.values() if v.ok is None]
    if pending:
        return Verdict(None, "\n".join(pending))
    return Verdict(True, "; ".join(v.text for v in verdicts.values()))


def short_pod(component: str, pod: str) -> str:
    """A pod's name without its component's prefix: what fits a narrow sidebar."""
    return "…" + pod[len(component):] if pod.startswith(component + "-") else pod


# ---- pod health ---------------------------------------------------------------------------------


def restarts(pod: dict) -> int:
    return sum(cs.get("restartCount", 0) for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _live(pod: dict) -> bool:
    """Pods that serve the component now: not on their way out, not finished."""
    return (not pod["metadata"].get("deletionTimestamp")
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))


class RestartTracker:
    """Since when each pod's restart count has stayed as it is (the console's clock).

    A pod first seen counts from then: the window proves no restart while we watched."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, float]] = {}  # pod uid (or name) -> (restarts, steady since)

    def observe(self, pods: Iterable[dict], now: float) -> dict[str, float]:
        """Record the pods' restart counts; answer steady-since per pod name."""
        steady: dict[str, float] = {}
        for pod in pods:
            meta = pod["metadata"]
            key = meta.get("uid") or meta["name"]
            count = restarts(pod)
            before = self._seen.get(key)
            if before is None or before[0] != count:
                self._seen[key] = (count, now)
            steady[meta["name"]] = self._seen[key][1]
        return steady


def pod_health(component: str, pods: Iterable[dict], desired: int, steady_since: Mapping[str, float],
               now: float, window: float) -> Verdict:
    """All pods of the component Ready, as many as desired, and none restarted for `window` seconds."""
    live = [p for p in pods if _live(p)]
    if desired == 0:
        return Verdict(False, f"{component} is scaled to 0: no pods to be healthy")
    ready = [p for p in live if _ready(p)]
    if len(ready) < desired or len(ready) < len(live):
        bad = next((p for p in live if not _ready(p)), None)
        why = f"; {short_pod(component, bad['metadata']['name'])}: {pod_summary(bad)}" if bad else ""
        return Verdict(None, f"{component}: {len(ready)}/{desired} pods Ready{why}")
    quiet = min(now - steady_since.get(p["metadata"]["name"], now) for p in ready)
    if quiet < window:
        return Verdict(None, f"{component}: {len(ready)}/{desired} Ready, no restart for "
                             f"{int(quiet)}s of {int(window)}s")
    return Verdict(True, f"{component}: {len(ready)}/{desired} pods Ready, no restart for {int(window)}s")


def _waiting(pod: dict) -> str:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            return reason
    return ""


def _images(pod: dict) -> tuple[str, ...]:
    return tuple(c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or [])


def crash_looping(component: str, pods: Iterable[dict], images: Iterable[str]) -> str:
    """Why the component's current pods (those running its template's images) crash-loop, or "".

    Older pods (the revision being replaced) are left out: their crash loop is what a rollback ends."""
    current = tuple(images)
    for pod in pods:
        if _live(pod) and _images(pod) == current and _waiting(pod) == "CrashLoopBackOff":
            return (f"{component}: pod {short_pod(component, pod['metadata']['name'])} is in CrashLoopBackOff "
                    f"({restarts(pod)} restarts)")
    return ""


def pods_unhealthy(component: str, pods: Iterable[dict], desired: int, steady_since: Mapping[str, float],
                   healthy_at: float) -> str:
    """Why pods proven healthy at `healthy_at` are no longer so (one went unready, one restarted), or ""."""
    live = [p for p in pods if _live(p)]
    ready = [p for p in live if _ready(p)]
    bad = next((p for p in live if not _ready(p)), None)
    if bad is not None or len(ready) < desired:
        why = f"; {short_pod(component, bad['metadata']['name'])}: {pod_summary(bad)}" if bad else ""
        return f"{component}: pods went unready ({len(ready)}/{desired} Ready{why})"
    restarted = next((p for p in ready if restarts(p) and steady_since.get(p["metadata"]["name"], 0.0) > healthy_at),
                     None)
    if restarted is not None:
        return (f"{component}: pod {short_pod(component, restarted['metadata']['name'])} restarted "
                f"(restart count {restarts(restarted)})")
    return ""


# ---- service connectivity ------------------------------------------------------------------------


def services_selecting(services: Iterable[dict], pod_labels: Mapping[str, str], ignore: str = "") -> list[str]:
    """Services whose selector picks pods with these labels (`ignore`: the traffic-diversion label)."""
    names = []
    for svc in services:
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector and all(pod_labels.get(k) == v for k, v in selector.items() if k != ignore):
            names.append(svc["metadata"]["name"])
    return sorted(names)


def connectivity(component: str, endpoints: Mapping[str, list[str]]) -> Verdict:
    """Every Service of the component has at least one ready endpoint."""
    if not endpoints:
        return Verdict(None, f"{component}: no Service selects its pods; verify by hand")
    empty = [svc for svc, addresses in sorted(endpoints.items()) if not addresses]
    if empty:
        return Verdict(False, f"{component}: service/{empty[0]} has no ready endpoints")
    said = ", ".join(f"service/{svc} {len(a)} ready" for svc, a in sorted(endpoints.items()))
    return Verdict(True, f"{component}: {said}")


# ---- logs ----------------------------------------------------------------------------------------


def error_pattern(patterns: str) -> re.Pattern:
    return re.compile(patterns)


def count_errors(text: str, pattern: re.Pattern) -> int:
    return sum(1 for line in text.splitlines() if pattern.search(line))


def log_errors(component: str, counts: Mapping[str, int], unread: Mapping[str, str] | None = None) -> Verdict:
    """Counts of error lines per pod: proven clean when every pod was read and none has errors."""
    unread = unread or {}
    if not counts and not unread:
        return Verdict(None, f"{component}: no pods to read logs from")
    lines = [f"{short_pod(component, pod)}: {n} error{'s' if n != 1 else ''}" for pod, n in sorted(counts.items())]
    lines += [f"{short_pod(component, pod)}: {why}" for pod, why in sorted(unread.items())]
    if any(counts.values()):
        return Verdict(False, f"{component}\n" + "\n".join(lines))
    if unread:
        return Verdict(None, f"{component}\n" + "\n".join(lines))
    return Verdict(True, f"{component}: no errors in {len(counts)} pod{'s' if len(counts) != 1 else ''}")


# ---- commands (smoke test, health check, notify) -------------------------------------------------


def command_passed(what: str, component: str, exit_code: int | None, error: str = "") -> Verdict:
    """A command's outcome: exit 0 proves it; anything else is a failure said plainly."""
    who = f"{component}: " if component else ""
    if error:
        return Verdict(False, f"{who}{what} {error}")
    if exit_code == 0:
        return Verdict(True, f"{who}{what} passed (exit 0)")
    return Verdict(False, f"{who}{what} failed (exit {exit_code})")


# ---- target revision -----------------------------------------------------------------------------


def targets_chosen(targets: Mapping[str, int]) -> Verdict:
    """Every component to roll back has a confirmed target revision."""
    if not targets:
        return Verdict(None, "")
    return Verdict(True, ", ".join(f"{c} → revision {r}" if r else f"{c} → previous revision"
                                   for c, r in sorted(targets.items())))
