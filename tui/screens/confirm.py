"""Confirmation of a mutating action: what changes, the kubectl equivalent, a reason, the guard.

Every mutating action comes through here. It shows the Operation exactly as
planned (summary, changes, pod-template diff, the equivalent kubectl command
line), takes an optional reason, and in production will not confirm until
the component's name is typed: the name then Enter confirms, Escape cancels,
a wrong name is refused with a sentence and nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from widgets.diff_view import DiffView
from widgets.style import style

from .dialog import Dialog


@dataclass(frozen=True)
class Confirmation:
    reason: str = ""


@dataclass(frozen=True)
class Instead:
    """The user took the offered revision instead of a known-bad target (nothing was confirmed)."""

    revision: int


INSTEAD_KEY = "ctrl+n"  # not an Input binding, so it works while the reason or guard field has focus
INSTEAD_LABEL = "Ctrl+N"


class ConfirmScreen(Dialog[Confirmation | None]):
    """Returns a Confirmation (with the reason given), Instead (the offered revision), or None when cancelled."""

    DEFAULT_CSS = """
    ConfirmScreen.-high > #dialog { border: thick $error; }
    ConfirmScreen #summary { text-style: bold; width: 1fr; }
    ConfirmScreen #warning { color: $error; text-style: bold; width: 1fr; margin-bottom: 1; }
    ConfirmScreen #details { height: auto; max-height: 45vh; }
    ConfirmScreen .heading { color: $text-muted; text-style: italic; }
    ConfirmScreen #details > .heading { margin-top: 1; }
    ConfirmScreen #command-heading { margin-top: 1; }
    ConfirmScreen #command { width: 1fr; color: $text; background: $boost; padding: 0 1; }
    ConfirmScreen .field { height: auto; }
    ConfirmScreen #fields { height: auto; margin-top: 1; }
    ConfirmScreen .field > Label { width: auto; padding-right: 1; }
    ConfirmScreen .field > Input { width: 1fr; }
    ConfirmScreen #refusal { color: $error; text-style: bold; width: 1fr; height: auto; }
    ConfirmScreen #buttons { height: auto; align-horizontal: right; }
    ConfirmScreen #buttons > Button { margin-left: 2; min-width: 12; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=True),
        Binding("pageup", "scroll_details(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_details(1)", "Scroll down", show=False),
        Binding(INSTEAD_KEY, "instead", "Healthy revision instead", show=False, priority=True),
    ]

    def __init__(self, operation, *, guard: str | None = None, ask_reason: bool = True, warning: str = "",
                 confirm_label: str = "Confirm", guard_hint: str = "the component's name",
                 alternative: int | None = None, alternative_label: str = "") -> None:
        """`guard`: the name to type (production), or None; `guard_hint` says what that name is.
        `warning`: shown above everything (second confirmations, a known-bad target).
        `alternative`: the revision Ctrl+N takes instead (offered when the target is known bad);
        `alternative_label`: what the footer calls it (default "revision N")."""
        super().__init__(classes="-high" if operation.risk == "high" or warning else "")
        self.operation = operation
        self.guard = guard
        self.ask_reason = ask_reason
        self.warning = warning
        self.confirm_label = confirm_label
        self.guard_hint = guard_hint
        self.alternative = alternative
        self.alternative_label = alternative_label or f"revision {alternative}"

    def compose(self) -> ComposeResult:
        op = self.operation
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Confirm" + (" (PRODUCTION)" if self.guard else "")
            dialog.border_subtitle = "Enter confirms · Esc cancels · PgUp/PgDn scroll" + (
                f" · {INSTEAD_LABEL} {self.alternative_label}" if self.alternative is not None else "")
            if self.warning:
                yield Static(self.warning, id="warning")
            yield Static(op.summary, id="summary")
            with VerticalScroll(id="details"):
                if op.changes:
                    yield Label("What will change", classes="heading")
                    changes = Text()
                    for n, line in enumerate(op.changes):
                        if n:
                            changes.append("\n")
                        changes.append("• ", style=style(self.app, "accent"))
                        changes.append(line)
                    yield Static(changes, id="changes")
                if op.noop:
                    yield Static(Text(op.noop, style=style(self.app, "warning")), id="noop")
                if op.diff:
                    yield Label(getattr(op, "diff_heading", "Pod template diff"), classes="heading")
                    yield DiffView(op.diff, id="diff")
                if getattr(op, "sql", ""):
                    yield Label("The SQL it runs (Alembic's offline mode, --sql)", classes="heading")
                    yield Static(Text(op.sql), id="sql")
            # Helm operations run exactly their command line; kubectl's is an equivalent, for the reader.
            yield Label(getattr(op, "command_heading", "Equivalent kubectl command"), classes="heading",
                        id="command-heading")
            yield Static(Text("$ " + op.command_line), id="command")
            with Vertical(id="fields"):
                if self.ask_reason:
                    with Horizontal(classes="field"):
                        yield Label("Reason (optional):")
                        yield Input(placeholder=self._reason_placeholder(), id="reason", compact=True)
                if self.guard:
                    with Horizontal(classes="field"):
                        yield Label(Text.assemble("Production: type ", (self.guard, "bold"), " to confirm:"))
                        yield Input(placeholder=self.guard_hint, id="guard", compact=True)
            yield Static("", id="refusal")
            with Horizontal(id="buttons"):
                yield Button(self.confirm_label, variant="error" if op.risk == "high" else "primary", id="confirm",
                             compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _reason_placeholder(self) -> str:
        if self.operation.kind == "rollback" and self.operation.workload == "Deployment":
            # The plugin's undo records no change-cause: a Rollout's reason goes to the stream and timeline.
            return f"kept as change-cause \"Rollback to revision {self.operation.revision}: …\""
        if self.operation.kind == "plan":
            return "kept as each kubectl step's change-cause"
        return "written to the Rollout stream and the incident's timeline"

    def on_mount(self) -> None:
        if self.guard:
            self.query_one("#guard", Input).focus()
        elif self.ask_reason:
            self.query_one("#reason", Input).focus()
        else:
            self.query_one("#confirm", Button).focus()

    # ---- confirming ----------------------------------------------------------

    @property
    def reason(self) -> str:
        return self.query_one("#reason", Input).value.strip() if self.ask_reason else ""

    def _refuse(self, sentence: str) -> None:
        self.query_one("#refusal", Static).update(sentence)
        self.app.bell()

    def action_confirm(self) -> None:
        if self.guard:
            typed = self.query_one("#guard", Input).value.strip()
            if typed != self.guard:
                guard = self.query_one("#guard", Input)
                if not typed:
                    self._refuse(f"Type {self.guard} to confirm in production, or press Escape to cancel.")
                else:
                    self._refuse(f"Refused: {typed!r} is not {self.guard}; type {self.guard_hint} exactly, "
                                 "or press Escape to cancel.")
                guard.focus()
                return
        self.dismiss(Confirmation(self.reason))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_instead(self) -> None:
        if self.alternative is not None:
            self.dismiss(Instead(self.alternative))

    def action_scroll_details(self, direction: int) -> None:
        details = self.query_one("#details", VerticalScroll)
        details.scroll_relative(y=direction * max(1, details.size.height - 1), animate=False)

    @on(Input.Submitted, "#reason")
    def _reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.guard and self.query_one("#guard", Input).value.strip() != self.guard:
            self.query_one("#guard", Input).focus()
            return
        self.action_confirm()

    @on(Input.Submitted, "#guard")
    def _guard_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    @on(Input.Changed, "#guard")
    def _guard_changed(self, event: Input.Changed) -> None:
        self.query_one("#refusal", Static).update("")

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()
