"""AnalysisRuns from templates, and argument substitution (upstream utils/analysis)."""

from __future__ import annotations

import json
import re

from ..api import Api
from ..errors import ApiError
from ..jsoncopy import clone
from ..resources import ANALYSIS_TEMPLATE, CLUSTER_ANALYSIS_TEMPLATE

COMPLETED = ("Successful", "Failed", "Error", "Inconclusive")
_ARG = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


class AnalysisSpecError(ValueError):
    """A template or argument the run cannot be built from (one sentence)."""


def run_from_templates(api: Api, namespace: str, analysis: dict, name: str, labels: dict,
                       annotations: dict, pod_hashes: dict[str, str] | None = None) -> dict:
    """NewAnalysisRunFromTemplates: the templates' metrics and args, the Rollout's arg values on top.

    `pod_hashes` ({"Stable": hash, "Latest": hash}) resolves valueFrom.podTemplateHashValue, as
    BuildArgumentsForRolloutAnalysisRun does before the run exists."""
    metrics, args = [], {}
    for ref in analysis.get("templates") or ():
        template_name = ref.get("templateName", "")
        try:
            if ref.get("clusterScope"):
                template = api.get(CLUSTER_ANALYSIS_TEMPLATE, "", template_name)
            else:
                template = api.get(ANALYSIS_TEMPLATE, namespace, template_name)
        except ApiError:
            kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
            raise AnalysisSpecError(f'{kind} "{template_name}" not found') from None
        spec = template.get("spec") or {}
        metrics.extend(clone(spec.get("metrics") or []))
        for arg in spec.get("args") or ():
            args.setdefault(arg["name"], clone(arg))
    for arg in analysis.get("args") or ():
        arg = clone(arg)
        which = (arg.get("valueFrom") or {}).get("podTemplateHashValue")
        if which and pod_hashes and which in pod_hashes:
            arg = {"name": arg["name"], "value": pod_hashes[which]}
        args[arg["name"]] = {**args.get(arg["name"], {}), **arg}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                     "annotations": dict(annotations)},
        "spec": {"metrics": metrics, "args": list(args.values())},
    }


def resolve_args(args: list[dict], values_from: dict[str, str] | None = None) -> dict[str, str]:
    """Each argument's value; an argument without one is `argument "x" was not supplied`."""
    resolved = {}
    for arg in args or ():
        name = arg.get("name", "")
        if "value" in arg and arg["value"] is not None:
            resolved[name] = str(arg["value"])
        elif arg.get("valueFrom") and values_from and name in values_from:
            resolved[name] = values_from[name]
        else:
            raise AnalysisSpecError(f'argument "{name}" was not supplied')
    return resolved


def substitute(metric: dict, args: dict[str, str]) -> dict:
    """The metric with every `{{args.NAME}}` replaced (upstream's template resolution)."""
    text = json.dumps(metric)
    missing = [m for m in _ARG.findall(text) if m not in args]
    if missing:
        raise AnalysisSpecError(f"failed to resolve {{{{args.{missing[0]}}}}}")
    return json.loads(_ARG.sub(lambda m: json.dumps(args[m.group(1)])[1:-1], text))
