"""The "Checklist" sidebar: the runbook's items by section, toggled with space."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from .messages import ChecklistToggled
from .style import style

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
        Binding("space", "toggle", "Toggle item", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, checklist, **kwargs) -> None:
        super().__init__(**kwargs)
        self.checklist = checklist

    def on_mount(self) -> None:
        self.show_items()

    def _prompt(self, item) -> Table:
        """A box, then the item; wrapped lines and the evidence hang under the item's text."""
        row = Table.grid(padding=(0, 1))
        row.add_column(no_wrap=True)
        row.add_column(ratio=1)
        box = Text("[x]" if item.done else "[ ]", style=style(self.app, "success", bold=True) if item.done else "")
        text = Text(item.text, style="dim" if item.done else "")
        if item.evidence:
            text.append(f"\n{item.evidence}", style=style(self.app, "success"))
        row.add_row(box, text)
        return row

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
        option = self.highlighted_option
        if option is None or option.disabled or option.id is None:
            return
        self.checklist.toggle(option.id)
        self.show_items()
        self.post_message(ChecklistToggled(option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()
