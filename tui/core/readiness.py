"""Rollback readiness: each Deployment against the runbook's tables and best practices.

The runbook (seed/rollback-strategy.md, "Rollback Strategy by Component" and
"Best Practices") says how each component must be set up so a rollback is
possible and safe. `check()` compares one Deployment (as API JSON, with its
ReplicaSets and, when known, the namespace's PodDisruptionBudgets) with it
and answers warnings, one sentence each, saying what to change.

Plain Python: no Textual, no network. The components are matched to the
runbook's roles by name suffix (eli-maor-backend is the backend).
"""

from __future__ import annotations

from dataclasses import dataclass

from .names import CHANGE_CAUSE, REVISION
from .rollout import canary_spec

RECENT_REVISIONS = 3  # change-cause is checked on this many newest revisions
DEFAULT_HISTORY = 10  # Kubernetes' default revisionHistoryLimit, and the runbook's


@dataclass(frozen=True)
class Expected:
    """One column of the runbook's "Rollback Strategy by Component" tables (None: the runbook says nothing)."""

    history: int = DEFAULT_HISTORY
    strategy: str | None = None
    max_surge: str | None = None
    max_unavailable: str | None = None
    min_ready: int | None = None
    progress_deadline: int = 600
    termination_grace: int | None = None
    replicas: int | None = None


# The runbook's tables. Worker and frontend get backend's surge/unavailable: the runbook's
# "Revision History" section sets RollingUpdate maxSurge 1 maxUnavailable 0 for all deployments.
RUNBOOK: dict[str, Expected] = {
    "backend": Expected(strategy="RollingUpdate", max_surge="1", max_unavailable="0", min_ready=10),
    "worker": Expected(strategy="RollingUpdate", max_surge="1", max_unavailable="0", termination_grace=120),
    "beat": Expected(history=5, strategy="Recreate", replicas=1),
    "frontend": Expected(strategy="RollingUpdate", max_surge="1", max_unavailable="0"),
}
ROLES = tuple(RUNBOOK)  # also the runbook's rollback order


@dataclass(frozen=True)
class Warning_:
    component: str
    rule: str  # short key: history, strategy, surge, min-ready, deadline, grace, replicas, pdb, change-cause
    text: str  # one sentence: what is wrong and what to change


def role_of(name: str) -> str | None:
    """The runbook role of a component, by its name's last dash-separated part (eli-maor-backend -> backend)."""
    suffix = name.rsplit("-", 1)[-1]
    return suffix if suffix in RUNBOOK else None


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _labels_match(selector: dict | None, labels: dict) -> bool:
    """metav1.LabelSelectorAsSelector(selector).Matches(labels); an empty selector matches everything
    (policy/v1 PDB semantics)."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _revision(rs: dict) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def check(deployment: dict, replicasets: list[dict] = (), pdbs: list[dict] | None = None) -> list[Warning_]:
    """The readiness warnings of one Deployment; `pdbs` None means "not known" (that rule is skipped)."""
    name = (deployment.get("metadata") or {}).get("name", "")
    spec = _spec(deployment)
    role = role_of(name)
    want = RUNBOOK.get(role or "", Expected())
    out: list[Warning_] = []

    def warn(rule: str, text: str) -> None:
        out.append(Warning_(name, rule, text))

    history = spec.get("revisionHistoryLimit", DEFAULT_HISTORY)
    if history == 0:
        warn("history", f"revisionHistoryLimit is 0, so {name} has no old revision to roll back to; "
                         f"set spec.revisionHistoryLimit to {want.history}.")
    elif history < want.history:
        warn("history", f"revisionHistoryLimit is {history}, below the runbook's {want.history}; "
                        f"set spec.revisionHistoryLimit to {want.history} to keep enough revisions.")

    strategy = spec.get("strategy") or {}
    kind = strategy.get("type", "RollingUpdate")
    if want.strategy and kind != want.strategy:
        why = "only one beat may run at a time" if want.strategy == "Recreate" else "updates must not cause downtime"
        warn("strategy", f"strategy is {kind}, the runbook's is {want.strategy} ({why}); "
                         f"set spec.strategy.type to {want.strategy}.")
    elif kind == "RollingUpdate" and want.max_surge is not None:
        rolling = strategy.get("rollingUpdate") or {}
        surge, unavailable = str(rolling.get("maxSurge", "25%")), str(rolling.get("maxUnavailable", "25%"))
        if (surge, unavailable) != (want.max_surge, want.max_unavailable):
            warn("surge", f"rollingUpdate is maxSurge {surge} maxUnavailable {unavailable}; the runbook's is "
                          f"maxSurge {want.max_surge} maxUnavailable {want.max_unavailable} "
                          "(always keep all replicas): change spec.strategy.rollingUpdate.")

    if want.min_ready is not None and spec.get("minReadySeconds", 0) < want.min_ready:
        warn("min-ready", f"minReadySeconds is {spec.get('minReadySeconds', 0)}, below the runbook's "
                          f"{want.min_ready}; set spec.minReadySeconds to {want.min_ready} so a pod must stay "
                          "ready before it counts.")

    deadline = spec.get("progressDeadlineSeconds")
    if deadline is None:
        warn("deadline", f"progressDeadlineSeconds is unset, so a stalled rollout is never reported; set "
                         f"spec.progressDeadlineSeconds to {want.progress_deadline}.")
    elif deadline > want.progress_deadline:
        warn("deadline", f"progressDeadlineSeconds is {deadline}, longer than the runbook's "
                         f"{want.progress_deadline}; lower it so a stalled rollout is reported in time.")

    grace = (_spec(spec.get("template") or {})).get("terminationGracePeriodSeconds", 30)
    if want.termination_grace is not None and grace < want.termination_grace:
        warn("grace", f"terminationGracePeriodSeconds is {grace}, below the runbook's {want.termination_grace}; "
                      f"set it to {want.termination_grace} so running tasks can finish.")

    replicas = spec.get("replicas", 1)
    if want.replicas is not None and replicas != want.replicas:
        warn("replicas", f"{name} has {replicas} replicas; the runbook runs exactly {want.replicas} "
                         f"(a single scheduler): scale it to {want.replicas}.")

    if pdbs is not None and replicas > 1 and role != "beat":
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not any(_labels_match(_spec(p).get("selector"), labels) for p in pdbs):
            warn("pdb", f"no PodDisruptionBudget selects {name}'s pods, so a node drain can take them all at "
                        "once; add one with minAvailable: 1.")

    recent = sorted(replicasets, key=_revision)[-RECENT_REVISIONS:]
    missing = [_revision(rs) for rs in recent
               if not ((rs.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE)]
    if missing:
        listed = ", ".join(map(str, missing))
        warn("change-cause", f"revision{'s' if len(missing) > 1 else ''} {listed} "
                             f"{'have' if len(missing) > 1 else 'has'} no change-cause, so the history does not "
                             f"say what changed; annotate with kubectl annotate deployment/{name} "
                             "kubernetes.io/change-cause=\"...\" on every release.")
    return out


def check_all(deployments: dict[str, dict], replicasets_of, pdbs: list[dict] | None = None,
              rollouts: dict[str, dict] | None = None) -> dict[str, list[Warning_]]:
    """Warnings per component name; `replicasets_of(name)` gives each Deployment's ReplicaSets; `rollouts`
    are the Argo Rollouts (checked against the runbook's "Using Argo Rollouts")."""
    found = {name: check(d, list(replicasets_of(name)), pdbs) for name, d in deployments.items()}
    for name, ro in (rollouts or {}).items():
        found[name] = found.get(name, []) + check_rollout(ro)
    return found


# ---- Argo Rollouts: the runbook's "Automated Rollback" / "Using Argo Rollouts (Advanced)" --------------

RUNBOOK_STEPS = ({"setWeight": 20}, {"pause": {"duration": "2m"}}, {"setWeight": 50}, {"pause": {"duration": "2m"}},
                 {"setWeight": 80}, {"pause": {"duration": "2m"}})
RUNBOOK_ANALYSIS = "success-rate"
RUNBOOK_STARTING_STEP = 2


def _step_text(step: dict) -> str:
    if "setWeight" in step:
        return f"setWeight {step['setWeight']}"
    if "pause" in step:
        duration = (step.get("pause") or {}).get("duration")
        return f"pause {duration}" if duration is not None else "pause (until promoted)"
    return next(iter(step), "?")


def _same_step(have: dict, want: dict) -> bool:
    if "pause" in want:
        duration = str((have.get("pause") or {}).get("duration", "")) if isinstance(have.get("pause"), dict) else ""
        return "pause" in have and duration in (want["pause"]["duration"], "120s", "120")
    return have == want


def check_rollout(rollout: dict) -> list[Warning_]:
    """The readiness warnings of one Argo Rollout: canary steps 20/50/80 with 2m pauses, background analysis
    `success-rate` from step 2 with its service-name, and revisionHistoryLimit (the runbook's 10)."""
    name = (rollout.get("metadata") or {}).get("name", "")
    spec = _spec(rollout)
    out: list[Warning_] = []

    def warn(rule: str, text: str) -> None:
        out.append(Warning_(name, rule, text))

    canary = canary_spec(rollout)
    if canary is None:
        warn("strategy", f"{name} is not a canary Rollout; the runbook's is spec.strategy.canary with steps "
                         "20/50/80 and an analysis that aborts a bad release.")
        return out
    steps = list(canary.get("steps") or [])
    if len(steps) != len(RUNBOOK_STEPS) or not all(_same_step(h, w) for h, w in zip(steps, RUNBOOK_STEPS)):
        have = ", ".join(_step_text(s) for s in steps) or "none"
        want = ", ".join(_step_text(s) for s in RUNBOOK_STEPS)
        warn("steps", f"canary steps are {have}; the runbook's are {want}: change spec.strategy.canary.steps.")
    analysis = canary.get("analysis") or {}
    templates = [t.get("templateName") for t in analysis.get("templates") or []]
    if RUNBOOK_ANALYSIS not in templates:
        warn("analysis", f"no background analysis with the {RUNBOOK_ANALYSIS} template, so a bad canary is not "
                         "aborted by itself; add spec.strategy.canary.analysis.templates: "
                         f"[{{templateName: {RUNBOOK_ANALYSIS}}}].")
    else:
        starting = analysis.get("startingStep", 0)
        if starting != RUNBOOK_STARTING_STEP:
            warn("analysis", f"the analysis starts at step {starting}; the runbook's startingStep is "
                             f"{RUNBOOK_STARTING_STEP} (at setWeight 50): set spec.strategy.canary.analysis."
                             f"startingStep: {RUNBOOK_STARTING_STEP}.")
        args = {a.get("name"): a.get("value") for a in analysis.get("args") or []}
        if args.get("service-name") != name:
            warn("analysis", f"the analysis's service-name arg is {args.get('service-name')!r}, so it measures "
                             f"another service; set it to {name!r}.")
    history = spec.get("revisionHistoryLimit", DEFAULT_HISTORY)
    if history < DEFAULT_HISTORY:
        warn("history", f"revisionHistoryLimit is {history}, below the runbook's {DEFAULT_HISTORY}"
                        + (f", so {name} has no old revision to undo to" if history == 0 else "")
                        + f"; set spec.revisionHistoryLimit to {DEFAULT_HISTORY}.")
    return out
