"""The footer: the keys that work where the focus is, in one line.

Textual's `Footer` recomposes a widget per key each time the bindings change
(every focus move, every `refresh_bindings`): 15-40 ms on the UI loop each
time, six times during a launch. This one renders a single line of text and
repaints only when that text changes. Keys that do not fit end the line with
`…` (`?` lists them all) rather than being cut silently.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget

MORE = "…"


class KeyFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--disabled"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-footer--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: tuple[tuple[str, str, str, bool], ...] = ()  # (key, shown as, description, enabled)
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of what was last rendered, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        seen: set[str] = set()
        items = []
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in seen:  # one entry per action, as Textual's footer
                seen.add(binding.action)
                items.append((binding.key, self.app.get_key_display(binding), binding.description, enabled))
        if tuple(items) != self._items:
            self._items = tuple(items)
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        dim = self.get_component_rich_style("key-footer--disabled")
        width = self.size.width
        line = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for n, (key, shown, description, enabled) in enumerate(self._items):
            entry = Text.assemble((shown, key_style), (f" {description}" if description else "", description_style))
            if not enabled:
                entry.stylize(dim)
            gap = 1 if line else 0
            last = n == len(self._items) - 1
            if width and len(line) + gap + len(entry) + (0 if last else 1 + len(MORE)) > width and not (
                    last and len(line) + gap + len(entry) <= width):
                line.append(" " * gap + MORE if len(line) + gap + 1 <= width else "")
                break
            line.append(" " * gap)
            self._spans.append((len(line), len(line) + len(entry), key))
            line.append_text(entry)
        return line

    @property
    def shown_keys(self) -> list[str]:
        """The keys on the line as last rendered (binding key names: `question_mark` for `?`)."""
        return [key for _start, _end, key in self._spans]

    @property
    def cut(self) -> bool:
        """Some keys did not fit (the line ends with `…`)."""
        return len(self._spans) < len(self._items)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
