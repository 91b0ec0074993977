"""The "Checklist" sidebar: the runbook's items by section, each with how it is (or was) satisfied.

Under every item a dim line: while open, what will satisfy it (or the last
check's result: error counts per pod, a smoke test running, an exit code);
once ticked, the evidence, who and when. Space asks the app to check or tick
the item, `m` to tick or untick it by hand; the app owns the model.
"""

from __future__ import annotations

import textwrap

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from .messages import ChecklistToggled
from .style import clock_time, style

HEADING = "section:"


class ChecklistSidebar(OptionList):
    """Pre-Rollback / During Rollback / Post-Rollback; the sidebar collapses (`c`)."""

    DEFAULT_CSS = """
    ChecklistSidebar {
        width: 34;
        height: 1fr;
        & > .option-list--option-disabled { color: $text; text-style: bold; }
    }
    ChecklistSidebar.-collapsed {
        display: none;
    }
    """

    BINDINGS = [
        Binding("space", "toggle", "Check"),
        Binding("m", "mark", "Tick"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, checklist, **kwargs) -> None:
        super().__init__(**kwargs)
        self.checklist = checklist

    def on_mount(self) -> None:
        self.show_items()

    def _width(self) -> int:
        """Columns an option's text gets: the scrollbar's room is kept even while it is hidden, so a line
        never re-wraps (and loses its hanging indent) when the list grows a scrollbar."""
        region = self.scrollable_content_region.width or 30  # 0 before the first layout
        scrollbar = 0 if self.show_vertical_scrollbar else self.styles.scrollbar_size_vertical
        padding = self.get_component_styles("option-list--option").padding.width
        return max(16, int(region) - scrollbar - padding)

    def _prompt(self, item) -> Text:
        """A box, then the item; its wrapped lines and the how/evidence lines hang under its text."""
        width = self._width()
        out = Text()
        out.append("[x] " if item.done else "[ ] ",
                   style=style(self.app, "success", bold=True) if item.done else "")
        _hang(out, item.text, Style(dim=True) if item.done else Style(), width, first=True)
        for line, line_style in self.how(item):
            _hang(out, line, line_style, width)
        return out

    def how(self, item) -> list[tuple[str, Style]]:
        """The item's dim lines: evidence, who and when once ticked; else the last check's result, or how."""
        dim = Style(dim=True)
        if item.done:
            who = " ".join(part for part in (item.by, f"{clock_time(item.at)}Z" if item.at else "") if part)
            lines = [((item.evidence or "ticked") + (f" ({who})" if who else ""), style(self.app, "success") + dim)]
            if item.note:
                lines.append((f"note: {item.note}", Style(dim=True, italic=True)))
            return lines
        lines = []
        reopened = getattr(item, "reopened", "")
        if reopened and not item.status.startswith("re-opened: "):
            # Why a failure took the tick back stays under the item while the checks run again.
            lines.append((f"re-opened: {reopened}", style(self.app, "error")))
        if item.status:
            line_style = style(self.app, "error") if item.failing else style(self.app, "warning") + dim
            return lines + [(line, line_style) for line in item.status.splitlines()]
        return lines + [(item.how, dim)]

    def on_resize(self) -> None:
        self.show_items()  # the lines are wrapped to the width

    def show_items(self) -> None:
        highlighted = self.highlighted
        options: list[Option] = []
        for section in self.checklist.sections:
            done, total = self.checklist.progress(section)
            options.append(Option(Text(f"{section.title}  {done}/{total}", style="bold"),
                                  id=HEADING + section.title, disabled=True))
            options.extend(Option(self._prompt(item), id=item.key) for item in section.items)
        self.set_options(options)
        if highlighted is not None and highlighted < len(options):
            self.highlighted = highlighted
        elif options:
            self.highlighted = 1
        done, total = self.checklist.progress()
        self.border_subtitle = f"{done}/{total} done"

    def update_item(self, key: str) -> None:
        self.show_items()

    def action_toggle(self) -> None:
        self._ask(by_hand=False)

    def action_mark(self) -> None:
        self._ask(by_hand=True)

    def _ask(self, by_hand: bool) -> None:
        option = self.highlighted_option
        if option is None or option.disabled or option.id is None:
            return
        self.post_message(ChecklistToggled(option.id, by_hand=by_hand))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()


INDENT = 4  # under the item's text, past the box


def _hang(out: Text, text: str, line_style: Style, width: int, first: bool = False) -> None:
    """Append `text` wrapped to `width` with a hanging indent; `first`: it continues the box's line."""
    lines = textwrap.wrap(text, max(8, width - INDENT), break_on_hyphens=False) or [""]
    for n, line in enumerate(lines):
        if n or not first:
            out.append("\n" + " " * INDENT)
        out.append(line, style=line_style)
