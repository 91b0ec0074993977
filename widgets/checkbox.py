"""A checkbox whose checked and unchecked states differ in shape (`[x]`, `[ ]`), not only in colour.

Only space toggles it: enter belongs to the dialog (it confirms, as in every other dialog)."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox, inherit_bindings=False):
    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.styled("[x]" if self.value else "[ ]", style)
