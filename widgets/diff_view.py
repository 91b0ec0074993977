"""A unified diff, coloured; lines that change an image stand out."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from .style import style


def render_diff(app, diff: str) -> Text:
    text = Text(no_wrap=False)
    if not diff.strip():
        text.append("The pod templates are identical: nothing would change.", style="dim")
        return text
    for line in diff.splitlines():
        image = "image:" in line and line[:1] in "+-"
        if line.startswith(("+++", "---")):
            line_style = Style(bold=True)
        elif line.startswith("@@"):
            line_style = style(app, "accent")
        elif line.startswith("+"):
            line_style = style(app, "success", bold=image)
        elif line.startswith("-"):
            line_style = style(app, "error", bold=image)
        else:
            line_style = Style(dim=True)
        if image:
            line_style += Style(reverse=True)
        text.append(line + "\n", style=line_style)
    text.rstrip()
    return text


class DiffView(Static):
    """Shows `diff` (unified, as `difflib` or kubectl diff writes it)."""

    DEFAULT_CSS = """
    DiffView {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, diff: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.diff = diff

    def on_mount(self) -> None:
        self.update(render_diff(self.app, self.diff))

    def show(self, diff: str) -> None:
        self.diff = diff
        self.update(render_diff(self.app, diff))
