"""While a dialog is being prepared (the cluster read, a dry run): keys typed meanwhile are kept for it.

Without it, `u` then a quickly typed `eli-maor-backend` would run `e`, `l`, `i` as hotkeys on the console
until the confirmation opens. Pushed at once when the action starts; the keys it kept are typed into the
dialog once that opens, or dropped with it when it fails to open. Escape cancels.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

QUIET_SECONDS = 1.0  # after a failure: how long without a key before the console takes keys again


class PendingScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    PendingScreen { align: center bottom; background: $background 0%; }
    PendingScreen > Static { width: auto; max-width: 100%; height: 1; padding: 0 1; margin-bottom: 2;
                             background: $panel; color: $text-muted; }
    """

    def __init__(self, doing: str) -> None:
        super().__init__()
        self.doing = doing
        self.keys: list[tuple[str, str | None]] = []
        self.cancelled = False
        self._leave_asap = False
        self._failed = False
        self._quiet_timer = None

    def compose(self) -> ComposeResult:
        yield Static(f"{self.doing[:1].upper()}{self.doing[1:]}: preparing its dialog… (escape cancels)")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.keep(event.key, event.character)

    def keep(self, key: str, character: str | None) -> None:
        """A key typed for the dialog (also one queued on the console behind the key that opened this)."""
        if self._failed:  # typed for a dialog that will not open: dropped, and the line stays a moment longer
            if self._quiet_timer is not None:
                self._quiet_timer.reset()
            return
        if key == "escape":
            self.cancelled = True
            self.keys.clear()
            self.close()
            return
        self.keys.append((key, character))

    def fail(self, sentence: str) -> None:
        """The dialog cannot open: say why, drop what was typed, and stay until the typing stops (a second
        without a key), so the rest of a name typed for the dialog does not run as the console's keys."""
        self._failed = True
        self.keys.clear()
        self.query_one(Static).update(f"{sentence} (what was typed is dropped)")
        self._quiet_timer = self.set_timer(QUIET_SECONDS, self.close)

    def close(self) -> None:
        """Leave the screen stack now, or as soon as what covers it (the palette, say) is closed."""
        self._leave_asap = True
        if self.app.screen is self:
            self.dismiss(None)

    def on_screen_resume(self) -> None:
        if self._leave_asap:
            self.dismiss(None)
