"""The Metrics view's body: one sparkline per runbook metric over the window, the rollback's moment marked."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from tui.core import metrics as m

from .style import clock_time, style

LABEL = 20  # columns for a metric's title
FIGURE = 12  # columns for its current value


class MetricsPanel(Static):
    """Renders a MetricsAnswer-like object (start, end, series, errors); holds no state of its own."""

    DEFAULT_CSS = """
    MetricsPanel { padding: 0 1; height: auto; }
    """

    def show(self, start: float, end: float, series: dict[str, m.Series], errors: dict[str, str],
             rollback_at: float | None, alerts: Sequence[m.Alert], width: int | None = None) -> None:
        self.update(self.render_text(start, end, series, errors, rollback_at, alerts, width))

    def render_text(self, start: float, end: float, series: dict[str, m.Series], errors: dict[str, str],
                    rollback_at: float | None, alerts: Sequence[m.Alert], width: int | None = None) -> Group | Text:
        width = width or max(20, self.size.width - 2)
        spark_width = max(10, width - LABEL - FIGURE - 2)
        mark = m.marker_column(rollback_at, start, end, spark_width) if rollback_at is not None else None
        text = Text(no_wrap=True, overflow="ellipsis")
        notes = Text()  # wrapped, never cut: what the runbook gets wrong is said in full
        accent = style(self.app, "accent", bold=True)
        axis = f"{clock_time(start)}Z".ljust(spark_width - 9) + f"{clock_time(end)}Z"
        text.append(" " * (LABEL + FIGURE + 2) + axis[:spark_width] + "\n", style="dim")
        for metric in m.METRICS:
            got = series.get(metric.key)
            error = errors.get(metric.key)
            text.append(metric.title.ljust(LABEL)[:LABEL], style="bold")
            if error:
                text.append(" " * (FIGURE + 2))
                text.append(error[:spark_width] + "\n", style=style(self.app, "error"))
                continue
            value = got.last if got is not None else None
            if got is not None and got.samples and value is None:
                value = float("nan")
            text.append(m.figure(value, metric.unit).rjust(FIGURE)[:FIGURE] + "  ")
            spark = m.sparkline(got.samples if got else (), start, end, spark_width,
                                floor=0.0 if metric.unit != "s" else None)
            if mark is not None and spark[mark] == " ":
                spark = spark[:mark] + "│" + spark[mark + 1:]  # the rollback's moment, also where no sample fell
            at = len(text)
            text.append(spark, style=self._colour(metric, got))  # one span per line: cheap to build and paint
            if mark is not None:
                text.stylize(accent, at + mark, at + mark + 1)
            text.append("\n")
            if metric.note:
                notes.append(f"{metric.title}: {metric.note}.", style="dim italic")
        if mark is not None:
            label = f"rollback {clock_time(rollback_at)}Z"
            column = LABEL + FIGURE + 2 + mark
            # The label after the mark where it fits, else before it: never wrapped away from its mark.
            line = " " * column + f"▲ {label}" if mark + len(label) + 2 <= spark_width else \
                " " * max(0, column - len(label) - 1) + f"{label} ▲"
            text.append(line + "\n", style=style(self.app, "accent"))
        for alert in alerts:
            meaning = "error" if alert.state == "firing" else "warning"
            since = f" since {alert.active_at}" if alert.active_at else ""
            text.append(f"▲ {alert.name} {alert.state}{since}" + (f": {alert.summary}" if alert.summary else "")
                        + "\n", style=style(self.app, meaning, bold=True))
        text.rstrip()
        return Group(text, notes) if notes else text

    def _colour(self, metric: m.Metric, got: m.Series | None):
        if got is None or got.last is None:
            return "dim"
        if metric.key == "errors" and got.last > 0:
            return style(self.app, "error")
        if metric.key == "restarts" and got.last > 0:
            return style(self.app, "warning")
        return style(self.app, "success")
