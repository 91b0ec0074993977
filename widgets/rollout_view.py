"""The Rollout view's body: header, steps, revisions (ReplicaSets, pods, AnalysisRuns) and each analysis with its
measurements. Renders a `tui.core.rollout_view.RolloutView`; reads nothing.

The header is `kubectl argo rollouts get rollout`'s; when an analysis failed, the reason is said under the message
(`Why`), so the one line an on-call engineer needs is on the first screen even at 80x24.
"""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from tui.core import rollout_view as rv

from .style import style

STATUS_MEANING = {"Healthy": "success", "Successful": "success", "Running": "success", "Progressing": "warning",
                  "Paused": "secondary", "Pending": "warning", "Inconclusive": "warning", "Error": "error",
                  "Degraded": "error", "Failed": "error", "ReplicaFailure": "error", "ScaledDown": "foreground",
                  "CrashLoopBackOff": "error", "Terminating": "warning"}
STEP_MARK = {rv.DONE: ("✔", "success"), rv.CURRENT: ("▶", "accent"), rv.PENDING: ("·", "foreground"),
             rv.ABORTED: ("✖", "error")}
IMPORTANT = {"Failed", "Error", "Inconclusive"}
REVISION, REPLICASET, POD, ANALYSIS = "#", "⧉", "□", "α"  # the plugin's tree icons (cmd/get/get.go)


class RolloutViewBody(Widget):
    DEFAULT_CSS = """
    RolloutViewBody { layout: vertical; height: auto; }
    RolloutViewBody > Static { padding: 0 1; height: auto; }
    RolloutViewBody > .section { margin-top: 1; }
    RolloutViewBody.-stale > Static { text-style: dim; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="ro-header")
        yield Static(id="ro-steps", classes="section")
        yield Static(id="ro-revisions", classes="section")
        yield Static(id="ro-analysis", classes="section")

    def show(self, view: rv.RolloutView | None, stale: bool = False) -> None:
        """Paint `view` (None: nothing to show yet); `stale`: the watches are down, the picture may be old."""
        self.set_class(stale, "-stale")
        parts = ("#ro-header", "#ro-steps", "#ro-revisions", "#ro-analysis")
        if view is None:
            for part in parts:
                self.query_one(part, Static).update("")
            return
        renders = (self._header(view), self._steps(view), self._revisions(view), self._analysis(view))
        for part, render in zip(parts, renders):
            self.query_one(part, Static).update(render)

    # ---- pieces ------------------------------------------------------------------------------------

    def _status(self, icon: str, status: str) -> Text:
        return Text(f"{icon} {status}".strip(), style=style(self.app, STATUS_MEANING.get(status, "foreground"),
                                                             bold=status in IMPORTANT or status == "Degraded"))

    def _header(self, v: rv.RolloutView) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        grid.add_row("Name", Text(f"{v.name} · {v.namespace}"))
        grid.add_row("Status", self._status(v.icon, v.status))
        if v.message:
            grid.add_row("Message", Text(v.message))
        # The newest revision's failing metric: an older revision's failed run (before an undo) is history, shown
        # under Analysis but not as the reason for the Rollout's state now.
        newest = v.revisions[0].analysisruns if v.revisions else ()
        why = [metric for run in newest for metric in run.metrics if metric.why]
        if why:
            metric = why[0]
            line = Text(f"{metric.name}: ", style=style(self.app, "error", bold=True))
            line.append(metric.why)
            grid.add_row(Text("Why", style=style(self.app, "error", bold=True)), line)
        if v.strategy == "Canary":
            grid.add_row("Strategy", Text(f"Canary · step {v.step or '-'} · set weight {v.set_weight} · "
                                          f"actual weight {v.actual_weight}"))
        elif v.strategy:
            grid.add_row("Strategy", Text(v.strategy))
        images = Text()
        for i, image in enumerate(v.images):
            if i:
                images.append("\n")
            images.append(image.image)
            if image.tags:  # as the plugin: "image (canary, stable)"
                images.append(" (")
                for j, tag in enumerate(image.tags):
                    images.append(", " if j else "")
                    images.append(tag, style=style(self.app, "warning" if tag == "canary" else "success", bold=True))
                images.append(")")
        grid.add_row("Images", images if v.images else Text("(no pods)", style="dim"))
        grid.add_row("Replicas", Text(f"desired {v.desired} · current {v.current} · updated {v.updated} · "
                                      f"ready {v.ready} · available {v.available}"))
        return grid

    def _steps(self, v: rv.RolloutView) -> Group | Text:
        """The steps in flowing columns (each whole): done ✔, current ▶, pending ·, the aborted one ✖."""
        if not v.steps:
            return Text("Steps: none (a canary without steps goes straight to 100)", style="dim")
        items = []
        for step in v.steps:
            mark, meaning = STEP_MARK[step.state]
            here = step.state in (rv.CURRENT, rv.ABORTED)
            item = Text(f"{mark} ", style=style(self.app, meaning, bold=here))
            item.append(f"{step.index} {step.text}", style=style(self.app, meaning, bold=True) if here else
                        "dim" if step.state == rv.PENDING else "")
            items.append(item)
        parts: list = [Text("Steps", style="bold underline"), Columns(items, padding=(0, 3))]
        if any(s.state == rv.ABORTED for s in v.steps):
            parts.append(Text("aborted: the Rollout goes back to stable; retry starts again from step 0",
                              style=style(self.app, "error")))
        return Group(*parts)

    def _revisions(self, v: rv.RolloutView) -> Group:
        """The plugin's tree, its kind icons in place of a KIND column (80 columns keep every pod's name whole)."""
        table = Table(box=None, padding=(0, 1), collapse_padding=True, show_edge=False, header_style="bold")
        table.add_column("NAME", no_wrap=True)
        table.add_column("STATUS", no_wrap=True, min_width=12)
        table.add_column("READY", no_wrap=True, justify="right")
        table.add_column("AGE", no_wrap=True, justify="right")
        table.add_column("INFO", overflow="fold")
        for rev in v.revisions:
            table.add_row(Text(f"{REVISION} revision:{rev.number}", style="bold"), "", "", "", "")
            for rs in rev.replicasets:
                info = Text(rs.tags, style=style(self.app, "warning" if rs.canary else "success", bold=True))
                table.add_row(Text(f" {REPLICASET} {rs.name}", style="bold" if rs.tags else ""),
                              self._status(rs.icon, rs.status), f"{rs.ready}/{rs.desired}", rs.age, info)
                for pod in rs.pods:
                    extra = f"restarts:{pod.restarts}" if pod.restarts else ""
                    table.add_row(f"   {POD} {pod.name}", self._status(pod.icon, pod.status), pod.ready, pod.age,
                                  extra)
            for run in rev.analysisruns:
                table.add_row(Text(f" {ANALYSIS} {run.name}", style="bold" if run.phase in IMPORTANT else ""),
                              self._status(run.icon, run.phase), "", run.age, run.counts)
        title = Text("Revisions", style="bold underline")
        title.append(f"  {REVISION} revision · {REPLICASET} ReplicaSet · {POD} pod · {ANALYSIS} AnalysisRun",
                     style="dim")
        return Group(title, table)

    def _analysis(self, v: rv.RolloutView) -> Group | Text:
        if not v.analysisruns:
            return Text("Analysis: no AnalysisRuns for this Rollout", style="dim")
        parts: list = [Text("Analysis", style="bold underline")]
        for run in v.analysisruns:
            head = Text(f"{run.name} ", style="bold")
            head.append_text(self._status(run.icon, run.phase))
            head.append(f" · {run.kind or 'run'} · revision {run.revision}", style="dim")
            parts.append(head)
            grid = self._grid()
            if run.message:
                grid.add_row(Text("message", style="bold"), Text(run.message, style=style(
                    self.app, "error") if run.phase in IMPORTANT else ""))
            parts.append(grid)
            for metric in run.metrics:
                parts.extend(self._metric(metric))
        return Group(*parts)

    @staticmethod
    def _grid() -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True, min_width=12)
        grid.add_column(overflow="fold")
        return grid

    def _metric(self, m: rv.MetricView) -> list:
        grid = self._grid()
        name = Text(f"{m.name} ", style="bold")
        name.append_text(self._status(m.icon, m.phase))
        if m.counts:
            name.append(f"  {m.counts}")
        grid.add_row(Text("metric", style="bold"), name)
        limits = f"failureLimit {m.failure_limit}"
        if m.inconclusive_limit:
            limits += f" · inconclusiveLimit {m.inconclusive_limit}"
        cadence = " · ".join(x for x in (f"every {m.interval}" if m.interval else "",
                                         f"count {m.count}" if m.count else "") if x)
        grid.add_row(Text("held against"), Text(f"{m.held_against} · {limits}" + (f" · {cadence}" if cadence else "")))
        if m.query:
            grid.add_row(Text("query", style="dim"), Text(m.query, style="dim"))
        if m.message and not m.why:
            grid.add_row(Text("message"), Text(m.message))
        if m.why:
            grid.add_row(Text("why", style=style(self.app, "error", bold=True)),
                         Text(m.why, style=style(self.app, "error", bold=True)))
        out: list = [grid]
        if not m.measurements:
            out.append(Text("              no measurement yet", style="dim"))
            return out
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column("  #", justify="right", no_wrap=True)
        table.add_column("PHASE", no_wrap=True)
        table.add_column("AT", no_wrap=True)
        table.add_column("VALUE AND CONDITION", overflow="fold")
        for ms in m.measurements:
            at = ms.finished[11:19] if len(ms.finished) >= 19 else ""
            table.add_row(f"  {ms.number}", self._status(ms.icon, ms.phase), at,
                          Text(ms.why, style=style(self.app, "error") if ms.phase in IMPORTANT else ""))
        out.append(table)
        return out
