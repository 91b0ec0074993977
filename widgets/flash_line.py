"""One persistent line above the footer: what is failing right now, until it is resolved."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from .style import style


class FlashLine(Static):
    DEFAULT_CSS = """
    FlashLine {
        height: auto;
        max-height: 2;
        padding: 0 1;
        display: none;
        background: $error 20%;
    }
    FlashLine.-shown { display: block; }
    """

    def say(self, sentence: str) -> None:
        """Show `sentence` (in the error colour, with a mark), or hide the line when it is ""."""
        self.set_class(bool(sentence), "-shown")
        self.update(Text.assemble(("✗ ", style(self.app, "error", bold=True)),
                                  (sentence, style(self.app, "error"))) if sentence else "")

    @property
    def text(self) -> str:
        return str(self.render()) if self.has_class("-shown") else ""
