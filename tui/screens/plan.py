"""The "roll back every component" screen (A): the plan table, readiness warnings, execute, cancel.

It only shows the plan and forwards keys; the behaviour (building, guard,
executing in a worker, recording) is tui/incident/plan_console.py's.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from tui.core.plan import CANCELLED, FAILED, PENDING, ROLLED_OUT, RUNNING, SKIPPED, STALLED, Plan
from widgets.key_footer import KeyFooter
from widgets.style import style

STATE_STYLE = {PENDING: "", RUNNING: "Progressing", ROLLED_OUT: "Complete", SKIPPED: "Complete",
               FAILED: "Degraded", STALLED: "Stalled", CANCELLED: "Paused"}
COLUMNS = (("order", "#"), ("component", "Component"), ("revision", "Revision"), ("images", "Images"),
           ("state", "State"))


class PlanScreen(Screen):
    DEFAULT_CSS = """
    PlanScreen { layout: vertical; }
    PlanScreen #plan-pane { height: auto; max-height: 60%; border: round $primary; padding: 0 1; }
    PlanScreen #steps { height: auto; }
    PlanScreen #plan-message { height: auto; margin-top: 1; }
    PlanScreen #readiness-pane { height: 1fr; border: round $warning; padding: 0 1; }
    PlanScreen #readiness { height: auto; }
    """

    BINDINGS = [
        Binding("t", "target", "Target"),
        Binding("x", "execute", "Execute"),
        Binding("c", "cancel_plan", "Cancel plan"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, controller, title: str) -> None:
        super().__init__(id="plan")
        self.controller = controller
        self.title_text = title

    @property
    def plan(self) -> Plan:
        return self.controller.plan

    def compose(self) -> ComposeResult:
        with Vertical(id="plan-pane") as pane:
            pane.border_title = self.title_text
            pane.border_subtitle = "t target · x execute · c cancel · Esc close"
            yield DataTable(id="steps", cursor_type="row", zebra_stripes=False)
            yield Static("", id="plan-message")
        with VerticalScroll(id="readiness-pane") as pane:
            pane.border_title = "Rollback readiness"
            yield Static("", id="readiness")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#steps", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.show_plan()
        self.show_readiness(self.controller.warnings())
        table.focus()

    @property
    def highlighted(self) -> int | None:
        table = self.query_one("#steps", DataTable)
        return table.cursor_row if table.row_count else None

    def _cells(self, n: int, step) -> list:
        revision = Text("schema" if step.kind == "alembic" else f"{step.current or '-'} → {step.target or '-'}")
        if step.target in step.known_bad:
            revision.append(" ✗ known bad", style=style(self.app, "error", bold=True))
        label = step.label + (f" ({len(step.covers)} deployments)" if step.kind == "helm" else "")
        state = Text(step.state, style=style(self.app, STATE_STYLE.get(step.state, ""), bold=step.state != PENDING)
                     if STATE_STYLE.get(step.state) else "")
        return [str(n + 1), label, revision, step.images, state]

    def show_plan(self) -> None:
        table = self.query_one("#steps", DataTable)
        keep = table.cursor_row
        table.clear()
        for n, step in enumerate(self.plan.steps):
            table.add_row(*self._cells(n, step), key=str(n))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.say(self.controller.message)

    def show_step(self, index: int) -> None:
        table = self.query_one("#steps", DataTable)
        for (key, _), value in zip(COLUMNS, self._cells(index, self.plan.steps[index])):
            table.update_cell(str(index), key, value, update_width=True)
        self.say(self.controller.message)

    def say(self, text: str) -> None:
        self.query_one("#plan-message", Static).update(Text(text))

    def show_readiness(self, warnings: dict) -> None:
        lines = Text()
        for name in (s for step in self.plan.steps for s in step.covers):
            for warning in warnings.get(name, []):
                if lines:
                    lines.append("\n")
                lines.append("⚠ ", style=style(self.app, "warning"))
                lines.append(f"{name}: ", style="bold")
                lines.append(warning.text)
        if not lines:
            lines.append("No readiness warnings: every component matches the runbook's tables.")
        self.query_one("#readiness", Static).update(lines)

    # ---- keys ------------------------------------------------------------------------------------

    def action_target(self) -> None:
        self.controller.edit_target(self.highlighted)

    def action_execute(self) -> None:
        self.controller.execute()

    def action_cancel_plan(self) -> None:
        self.controller.cancel()

    def action_close(self) -> None:
        self.dismiss()


class ReadinessScreen(Screen):
    """`w`: every component's readiness warnings (what to change so a rollback is possible and safe)."""

    DEFAULT_CSS = """
    ReadinessScreen #readiness-pane { height: 1fr; border: round $warning; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, order: list[str], warnings: dict) -> None:
        super().__init__(id="readiness-screen")
        self.order = order
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="readiness-pane") as pane:
            pane.border_title = "Rollback readiness (the runbook's tables)"
            pane.border_subtitle = "Esc closes"
            text = Text()
            for name in self.order:
                found = self.warnings.get(name, [])
                if text:
                    text.append("\n")
                text.append(f"{name}: ", style="bold")
                text.append("ready" if not found else f"{len(found)} warning{'s' if len(found) > 1 else ''}")
                for warning in found:
                    text.append("\n  ⚠ ", style=style(self.app, "warning"))
                    text.append(warning.text)
            yield Label(text or "No components yet.", id="readiness")
        yield KeyFooter()

    def action_close(self) -> None:
        self.dismiss()
