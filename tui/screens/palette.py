"""ctrl+p: every console action by name, in Textual's command palette."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .console import KEYS


class ActionsProvider(Provider):
    """The same actions as the keys, each shown with its key."""

    def _commands(self):
        for k in KEYS:
            if k.command:
                yield f"{k.command}  ({k.key})", partial(self.app.run_action, k.action), k.help

    async def discover(self) -> Hits:
        for title, run, help_text in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
