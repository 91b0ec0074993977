"""Known-bad revisions: which revisions of a workload must not be rolled back to, and the evidence.

A revision is known bad when its ReplicaSet never became available while it
was the newest, when its rollout hit the progress deadline, when one of its
pods crash-looped, or when its containers' images are those of a failed Helm
revision. What was seen live is remembered here (with when), keyed by the
owned object's name (a ReplicaSet keeps its name when kubectl renumbers it),
so the evidence outlives the moment: a crash-looping revision stays known bad
after it was rolled away from. Failed Helm revisions are handed in by the
Helm controller (it reads the release); their match is judged on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

from .times import human_age
from .workload import Ref, Revision

CRASH_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                 "CreateContainerError", "RunContainerError", "InvalidImageName")
HASH_LABEL = "pod-template-hash"
HASH_LABELS = (HASH_LABEL, "rollouts-pod-template-hash")  # a Deployment's pods, an Argo Rollout's


@dataclass(frozen=True)
class Evidence:
    reason: str  # what was seen, a phrase: "pod x CrashLoopBackOff", "Helm revision 3 failed: ..."
    at: float | None  # when it was seen (None: unknown)

    def said(self, now: float | None = None) -> str:
        if self.at is None or now is None:
            return self.reason
        return f"{self.reason} ({human_age(now - self.at)} ago)"


@dataclass(frozen=True)
class FailedRelease:
    """A failed Helm revision's template for one workload: which images it ran."""

    release: str
    revision: int
    description: str
    at: float | None
    images: tuple[tuple[str, str], ...]  # (container, image), sorted

    @property
    def reason(self) -> str:
        return f"Helm revision {self.revision} failed: {self.description or 'no description'}"


def container_images(template: dict) -> tuple[tuple[str, str], ...]:
    """(container name, image) of a pod template's containers, sorted: what a failed release is matched on."""
    spec = (template or {}).get("spec") or {}
    return tuple(sorted((str(c.get("name", "")), str(c.get("image", ""))) for c in spec.get("containers") or []))


def _crashing(pod: dict) -> str:
    """The waiting reason of a pod's container that is failing to run, or ""."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
        if reason in CRASH_REASONS:
            return reason
    return ""


class KnownBad:
    """The registry: evidence per (workload, owned object), and the failed Helm templates per workload."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Ref, str], dict[str, Evidence]] = {}
        self._failed: dict[Ref, list[FailedRelease]] = {}
        # The newest owned object of each workload as last seen, and whether it became available meanwhile.
        self._newest: dict[Ref, tuple[str, bool]] = {}

    # ---- what is handed in ------------------------------------------------------------------------

    def note(self, ref: Ref, owned: str, key: str, reason: str, at: float | None) -> bool:
        """Remember one piece of evidence (the first sighting of each kind is kept); True if new."""
        kept = self._seen.setdefault((ref, owned), {})
        if key in kept:
            return False
        kept[key] = Evidence(reason, at)
        return True

    def set_failed_releases(self, release: str, failed: dict[Ref, list[FailedRelease]]) -> None:
        """The failed revisions of one release, per workload they render (replaces what that release said)."""
        for ref in list(self._failed):
            self._failed[ref] = [f for f in self._failed[ref] if f.release != release]
        for ref, items in failed.items():
            self._failed.setdefault(ref, []).extend(items)

    def observe(self, ref: Ref, revisions: list[Revision], stalled: bool, pods: list[dict], now: float,
                failed: str = "") -> None:
        """Evidence from one reading of a workload: its revisions (oldest first), whether its rollout
        gave up, its pods, and why its update failed as the kind says it (an Argo Rollout's abort)."""
        newest = next((r for r in reversed(revisions) if r.current), None)
        if newest is None:
            return
        # Scaled to 0 (the emergency scale-down) asks nothing of it: no evidence either way.
        available = newest.ready >= newest.desired
        before = self._newest.get(ref)
        if before is not None and before[0] != newest.replicaset and not before[1]:
            self.note(ref, before[0], "unavailable", "never became available while it was the newest", now)
        became = available or (before is not None and before[0] == newest.replicaset and before[1])
        self._newest[ref] = (newest.replicaset, became)
        if stalled:
            self.note(ref, newest.replicaset, "deadline", "hit ProgressDeadlineExceeded while it was the newest",
                      now)
        if failed:
            self.note(ref, newest.replicaset, "failed", failed, now)
        by_hash = {(r.template.get("metadata") or {}).get("labels", {}).get(label): r.replicaset
                   for r in revisions for label in HASH_LABELS}
        by_hash.pop(None, None)
        for pod in pods:
            reason = _crashing(pod)
            labels = (pod.get("metadata") or {}).get("labels") or {}
            owned = next((by_hash[labels[k]] for k in HASH_LABELS if labels.get(k) in by_hash), None)
            if reason and owned:
                self.note(ref, owned, reason, f"pod {pod['metadata'].get('name', '')} {reason}", now)

    # ---- views --------------------------------------------------------------------------------------

    def evidence(self, ref: Ref, revision: Revision) -> list[Evidence]:
        """Why this revision is known bad, oldest evidence first ([] when it is not)."""
        found = list(self._seen.get((ref, revision.replicaset), {}).values())
        images = container_images(revision.template)
        for failed in self._failed.get(ref, ()):
            if images and failed.images == images:
                found.append(Evidence(failed.reason, failed.at))
        return sorted(found, key=lambda e: (e.at is None, e.at or 0.0))

    def bad(self, ref: Ref, revisions: list[Revision]) -> dict[int, list[Evidence]]:
        """Revision number -> evidence, for the known-bad ones."""
        return {r.number: ev for r in revisions if (ev := self.evidence(ref, r))}


def warning_line(target: int, evidence: list[Evidence], alternative: int | None, key: str,
                 now: float | None = None) -> str:
    """The line a confirmation starts with when its target is known bad."""
    said = "; ".join(e.said(now) for e in evidence)
    line = f"Revision {target} is known bad: {said}."
    if alternative is not None:
        line += f" Press {key} to roll back to revision {alternative} instead, the newest healthy one."
    else:
        line += " No other revision is known healthy."
    return line
