"""Helm screens: a revision's diff against the deployed one (secrets masked), and a rollback's
dry-run preview with its options (the confirmation itself is the shared ConfirmScreen)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from widgets.checkbox import TickBox
from widgets.diff_view import DiffView
from widgets.style import style

from ..helm.diff import revision_diff
from ..helm.operations import TIMEOUT, RollbackOptions
from ..helm.release import Revision
from .confirm import INSTEAD_KEY, INSTEAD_LABEL, Instead
from .dialog import Dialog
from .diff import DiffScreen


class HelmDiffScreen(DiffScreen):
    """Manifests, then computed values, of a revision against the deployed one; `m` reveals secrets."""

    BINDINGS = [Binding("m", "toggle_mask", "Reveal/mask secrets")]

    def __init__(self, title: str, deployed: Revision, revision: Revision, can_roll_back: bool = True) -> None:
        self.deployed, self.revision, self.revealed = deployed, revision, False
        super().__init__(title, revision_diff(deployed, revision), can_roll_back)

    def on_mount(self) -> None:
        self._subtitle()

    def _subtitle(self) -> None:
        frame = self.query_one("#frame", VerticalScroll)
        frame.border_title = "Helm diff" + (" (secrets REVEALED)" if self.revealed else "")
        frame.border_subtitle = (("r rolls back to it · " if self.can_roll_back else "")
                                 + ("m masks secrets" if self.revealed else "m reveals secrets") + " · Esc closes")

    def action_toggle_mask(self) -> None:
        self.revealed = not self.revealed
        self.diff = revision_diff(self.deployed, self.revision, reveal=self.revealed)
        self.query_one(DiffView).show(self.diff)
        self._subtitle()


class HelmRollbackScreen(Dialog[RollbackOptions | None]):
    """Step 1 and 2 of a Helm rollback: what `helm rollback --dry-run` said and the manifest diff,
    then the options. Continue leads to the confirmation with the exact command line."""

    DEFAULT_CSS = """
    HelmRollbackScreen #summary { text-style: bold; width: 1fr; }
    HelmRollbackScreen #warning { color: $error; text-style: bold; width: 1fr; margin-bottom: 1; }
    HelmRollbackScreen #out-of-band { width: 1fr; height: auto; }
    HelmRollbackScreen #dry-run { width: 1fr; height: auto; }
    HelmRollbackScreen #preview { height: auto; max-height: 40vh; }
    HelmRollbackScreen .heading { color: $text-muted; text-style: italic; margin-top: 1; }
    HelmRollbackScreen #options { height: auto; }
    HelmRollbackScreen #options TickBox { border: none; padding: 0; height: 1; background: transparent; }
    HelmRollbackScreen .field { height: 1; }
    HelmRollbackScreen .field > Label { width: auto; padding: 0 1 0 4; }
    HelmRollbackScreen .field > Input { width: 12; }
    HelmRollbackScreen #refusal { color: $error; text-style: bold; height: auto; }
    HelmRollbackScreen #buttons { height: auto; align-horizontal: right; }
    HelmRollbackScreen #buttons > Button { margin-left: 2; min-width: 12; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "continue", "Continue", show=False),
                Binding(INSTEAD_KEY, "instead", "Suggested revision instead", show=False, priority=True)]

    def __init__(self, summary: str, dry_run: str, dry_run_ok: bool, diff: str,
                 options: RollbackOptions | None = None, force_flag: str = "--force", *, warning: str = "",
                 alternative: int | None = None, out_of_band: str = "") -> None:
        """`warning`: the known-bad line shown first; `alternative`: the revision Ctrl+N takes instead;
        `out_of_band`: which changes made outside helm the rollback reverts and keeps."""
        super().__init__()
        self.summary, self.dry_run, self.dry_run_ok, self.diff = summary, dry_run, dry_run_ok, diff
        self.options, self.force_flag = options or RollbackOptions(), force_flag
        self.warning, self.alternative, self.out_of_band = warning, alternative, out_of_band

    def compose(self) -> ComposeResult:
        o = self.options
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Helm rollback: preview and options"
            dialog.border_subtitle = "tab moves · space toggles · enter continues · Esc cancels" + (
                f" · {INSTEAD_LABEL} revision {self.alternative}" if self.alternative is not None else "")
            if self.warning:
                yield Static(Text(self.warning, style=style(self.app, "error", bold=True)), id="warning")
            yield Static(self.summary, id="summary")
            yield Static(Text(self.dry_run, style=style(self.app, "success" if self.dry_run_ok else "error")),
                         id="dry-run")
            if self.out_of_band:
                yield Static(Text(self.out_of_band, style=style(self.app, "warning")), id="out-of-band")
            yield Label("Manifest diff (deployed → target), secrets masked", classes="heading")
            with VerticalScroll(id="preview"):
                yield DiffView(self.diff, id="diff")
            yield Label("Options", classes="heading")
            with Vertical(id="options"):
                yield TickBox("wait until the resources are ready (--wait)", o.wait, id="wait", compact=True)
                with Horizontal(classes="field"):
                    yield Label("timeout:")
                    yield Input(o.timeout, id="timeout", compact=True)
                yield TickBox(f"force replacement ({self.force_flag})", o.force, id="force", compact=True)
                yield TickBox("cleanup on fail (--cleanup-on-fail)", o.cleanup_on_fail, id="cleanup", compact=True)
                yield TickBox("no hooks (--no-hooks)", o.no_hooks, id="no-hooks", compact=True)
            yield Static("", id="refusal")
            with Horizontal(id="buttons"):
                yield Button("Continue", variant="primary", id="continue", compact=True,
                             disabled=not self.dry_run_ok)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        # Nested children mount over the next frames: focus once they are there.
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        buttons = self.query("#continue" if self.dry_run_ok else "#cancel")
        if buttons:
            buttons.first().focus()

    def chosen(self) -> RollbackOptions | None:
        timeout = self.query_one("#timeout", Input).value.strip()
        if not timeout or not TIMEOUT.match(timeout):
            self.query_one("#refusal", Static).update(
                f"Timeout {timeout!r} is not a duration helm takes; write e.g. 90s, 5m or 1h30m.")
            self.app.bell()
            return None
        return RollbackOptions(
            wait=self.query_one("#wait", TickBox).value, timeout=timeout,
            force=self.query_one("#force", TickBox).value,
            cleanup_on_fail=self.query_one("#cleanup", TickBox).value,
            no_hooks=self.query_one("#no-hooks", TickBox).value)

    @on(Button.Pressed, "#continue")
    def _continue(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_continue()

    def action_continue(self) -> None:
        """Enter anywhere but on Cancel (a button or a checkbox) continues, when the dry run allows it."""
        if self.query_one("#continue", Button).disabled:
            self.app.bell()
            return
        options = self.chosen()
        if options is not None:
            self.dismiss(options)

    @on(Input.Submitted, "#timeout")
    def _timeout_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_instead(self) -> None:
        if self.alternative is not None:
            self.dismiss(Instead(self.alternative))
