"""Jobs, as far as Helm hooks need them (pkg/controller/job, much reduced).

A Job gets one pod at a time from its template; the kubelet runs a pod
whose restartPolicy is not Always to completion. When `completions` pods
have succeeded the Job is Complete; when more than `backoffLimit` have
failed it is Failed (BackoffLimitExceeded). Status counts and conditions
have upstream's shape, which is what `helm` (3: the Complete/Failed
conditions; 4: kstatus) and `kubectl wait --for=condition=complete` read.
Parallelism, indexed completion and suspension are not simulated.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import rfc3339
from ..jsoncopy import clone
from ..resources import JOB, POD
from ..store import Change
from . import podutil
from .base import Controller, Key
from .recorder import NORMAL, WARNING, EventRecorder

MANAGER = "kube-controller-manager"


def _condition(type_: str, reason: str, message: str, now: str) -> dict:
    return {"type": type_, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def finished(job: dict) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or ())


class JobController(Controller):
    name = "job-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.recorder = EventRecorder(ctx.api, "job-controller")

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == JOB.key:
            return [(change.namespace, change.name)]
        if change.key == POD.key:
            ref = podutil.controller_ref(change.obj)
            if ref and ref.get("kind") == "Job":
                return [(change.namespace, ref["name"])]
        return []

    def all_keys(self) -> Iterable[Key]:
        return [(j["metadata"]["namespace"], j["metadata"]["name"]) for j in self.ctx.storage.items(JOB.key)]

    def sync(self, namespace: str, name: str) -> None:
        job = self.ctx.storage.get(JOB.key, namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp") or finished(job):
            return
        uid = job["metadata"]["uid"]
        spec = job.get("spec") or {}
        pods = [p for p in self.ctx.storage.items(POD.key, namespace)
                if (podutil.controller_ref(p) or {}).get("uid") == uid]
        active = [p for p in pods if podutil.is_pod_active(p)]
        succeeded = sum(1 for p in pods if podutil.phase(p) == "Succeeded")
        failed = sum(1 for p in pods if podutil.phase(p) == "Failed")
        old = job.get("status") or {}
        now = rfc3339(self.clock.now())
        status = {k: v for k, v in old.items() if k not in ("active", "succeeded", "failed")}
        status.setdefault("startTime", now)
        conditions = list(old.get("conditions") or [])
        if succeeded >= spec.get("completions", 1):
            conditions += [_condition("SuccessCriteriaMet", "CompletionsReached",
                                      "Reached expected number of succeeded pods", now),
                           _condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods",
                                      now)]
            status["completionTime"] = now
            self.recorder.event(job, NORMAL, "Completed", "Job completed")
        elif failed > spec.get("backoffLimit", 6):
            message = "Job has reached the specified backoff limit"
            conditions += [_condition("FailureTarget", "BackoffLimitExceeded", message, now),
                           _condition("Failed", "BackoffLimitExceeded", message, now)]
            self.recorder.event(job, WARNING, "BackoffLimitExceeded", message)
        elif not active:
            pod = self._create_pod(job)
            active = [pod]
            self.recorder.event(job, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        if conditions:
            status["conditions"] = conditions
        for key, count in (("active", len(active) if not conditions else 0), ("succeeded", succeeded),
                           ("failed", failed)):
            if count:
                status[key] = count  # int32 omitempty upstream
        status["ready"] = sum(1 for p in active if podutil.is_pod_ready(p)) if not conditions else 0
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = {}
        if status == old:
            return
        updated = clone(job)
        updated["status"] = status
        self.api.update(JOB, namespace, name, updated, subresource="status", manager=MANAGER)

    def _create_pod(self, job: dict) -> dict:
        template = clone((job.get("spec") or {}).get("template") or {})
        meta = template.get("metadata") or {}
        meta["generateName"] = f"{job['metadata']['name']}-"
        meta["ownerReferences"] = [podutil.owner_reference(job)]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}
        return self.api.create(POD, job["metadata"]["namespace"], pod, manager=MANAGER)
