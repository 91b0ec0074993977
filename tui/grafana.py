"""`rollback-console grafana-dashboard`: the runbook's Grafana panels for an application, as dashboard JSON.

Built with grafana-foundation-sdk from the same PromQL the Metrics view runs (tui.core.metrics), with
$namespace and $deployment variables and a Prometheus datasource variable, so the dashboard and the
console never disagree about what a figure means.
"""

from __future__ import annotations

import json

from .core import metrics as m

# Placeholders the console's query builders accept as names; replaced by Grafana's variables.
_NS, _DEP = "xnamespacex", "xdeploymentx"
DATASOURCE = "${datasource}"
RATE = "$__rate_interval"
UNITS = {"": "short", "req/s": "reqps", "ratio": "percentunit", "s": "s"}


def panel_queries() -> list[tuple[str, str]]:
    """(title, PromQL with $namespace and $deployment) for every panel: what the tests run against Prometheus."""
    return [(metric.title, metric.expr(_NS, _DEP, RATE).replace(_NS, "$namespace").replace(_DEP, "$deployment"))
            for metric in m.METRICS] + [
        ("DeploymentFailed condition", 'kube_deployment_status_condition{namespace="$namespace",'
                                       'deployment="$deployment",condition="Progressing",status="false"}'),
    ]


def dashboard(application: str) -> dict:
    from grafana_foundation_sdk.builders import dashboard as d
    from grafana_foundation_sdk.builders import prometheus, stat, timeseries
    from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

    source = DataSourceRef(type_val="prometheus", uid=DATASOURCE)
    board = (
        d.Dashboard(f"{application or 'Application'} rollback")
        .uid(f"rollback-{application or 'app'}")
        .tags(["rollback-console", "runbook"])
        .description("The rollback runbook's metrics (Monitoring Rollbacks), from rollback-console. "
                     + m.RESTARTS_NOTE[0].upper() + m.RESTARTS_NOTE[1:] + ".")
        .time("now-1h", "now")
        .refresh("10s")
        .with_variable(d.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(d.QueryVariable("namespace").label("Namespace").datasource(source)
                       .query("label_values(kube_deployment_spec_replicas, namespace)")
                       .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED))
        .with_variable(d.QueryVariable("deployment").label("Deployment").datasource(source)
                       .query('label_values(kube_deployment_spec_replicas{namespace="$namespace"}, deployment)')
                       .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED))
    )
    queries = panel_queries()
    units = [UNITS[metric.unit] for metric in m.METRICS]
    for n, ((title, expr), metric) in enumerate(zip(queries, m.METRICS)):
        panel = (timeseries.Panel().title(f"{title} · $deployment").datasource(source).unit(units[n])
                 .height(8).span(12)
                 .with_target(prometheus.Dataquery().expr(expr).legend_format(metric.key).ref_id("A")))
        if metric.note:
            panel = panel.description(metric.note)
        board = board.with_panel(panel)
    title, expr = queries[-1]
    board = board.with_panel(stat.Panel().title(f"{title} · $deployment").datasource(source).height(4).span(24)
                             .description("The runbook's DeploymentFailed alert fires when this is 1 for 5m.")
                             .with_target(prometheus.Dataquery().expr(expr).ref_id("A")))
    return board.build().to_json()


def dashboard_json(application: str) -> str:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    return json.dumps(dashboard(application), cls=JSONEncoder, indent=2, sort_keys=True)
