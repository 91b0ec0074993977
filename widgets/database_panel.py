"""The Database view's body: the database's revision, its history with the current one marked, which
application revisions expect which migration, and the verdict for the chosen rollback target.

It renders plain data (tui.core.database values and the controller's rows); it reads nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from tui.core import database as db

from .style import style

MEANING = {db.COMPATIBLE: "success", db.DOWNGRADE: "error", db.BEHIND: "warning", db.UNKNOWN: "warning"}


class DatabasePanel(Static):
    DEFAULT_CSS = """
    DatabasePanel { padding: 0 1; height: auto; }
    """

    def show(self, schema: db.Schema | None, rows: Sequence, selected: int, verdicts: Sequence,
             error: str = "", status: str = "", outcome: str = "") -> None:
        self.update(self.render_text(schema, rows, selected, verdicts, error, status, outcome))

    def render_text(self, schema: db.Schema | None, rows: Sequence, selected: int, verdicts: Sequence,
                    error: str = "", status: str = "", outcome: str = "") -> Text:
        """`rows`: AppRevision-like (component, revision, tags, current, expected, label); `verdicts`: one
        db.Verdict (or None) per row."""
        text = Text()
        bold, dim = style(self.app, "foreground", bold=True), "dim"
        if error:
            text.append(error + "\n", style=style(self.app, "error", bold=True))
        if status:
            text.append(status + "\n", style=dim)
        if schema is None:
            text.rstrip()
            return text
        text.append("Database ", style=dim)
        text.append(schema.where or "?", style=bold)
        text.append(" · current ", style=dim)
        text.append(", ".join(schema.current) or "base (empty)", style=style(self.app, "accent", bold=True))
        text.append(" · head" + ("s " if len(schema.heads) > 1 else " "), style=dim)
        text.append(", ".join(schema.heads) or "none")
        if len(schema.current) == 1 and schema.current[0] not in schema.heads:
            text.append(" (not at head)", style=style(self.app, "warning"))
        text.append("\n\n")
        expected_by: dict[str, list[str]] = {}  # revision -> the image tags (releases) whose code expects it
        for row in rows:
            if row.expected is not None:
                seen = expected_by.setdefault(row.expected.revision, [])
                if (row.tags or "?") not in seen:
                    seen.append(row.tags or "?")
        text.append("History", style=bold)
        text.append("  newest first · ● the database's revision · ✓ backward compatible\n", style=dim)
        width = max([len(m.message) for m in schema.history] + [10])
        width = min(width, 56)
        for m in schema.history:
            here = m.revision in schema.current
            text.append("● " if here else "  ", style=style(self.app, "accent", bold=True))
            text.append(m.revision, style=bold if here else "")
            text.append("  ")
            text.append((m.message[:width - 1] + "…" if len(m.message) > width else m.message).ljust(width))
            text.append("  ")
            if m.backward_compatible:
                text.append("✓ compatible    ", style=style(self.app, "success"))
            else:
                text.append("✗ incompatible  ", style=style(self.app, "error"))
            if m.revision in expected_by:
                text.append("← expected by " + ", ".join(expected_by[m.revision]), style=style(self.app, "accent"))
            text.append("\n")
        if not schema.history:
            text.append("  no migrations\n", style=dim)
        text.append("\n")
        text.append("Rollback targets", style=bold)
        text.append("  ↑/↓ choose · each revision's expected head and the verdict\n", style=dim)
        labels = [f"{row.component} r{row.revision}" + (" (current)" if row.current else "") for row in rows]
        label_width = max([len(label) for label in labels] + [10]) + 2
        tag_width = min(max([len(row.tags or "-") for row in rows] + [6]), 24) + 2
        for n, (row, v) in enumerate(zip(rows, verdicts)):
            chosen = n == selected
            text.append("▸ " if chosen else "  ", style=style(self.app, "accent", bold=True))
            text.append(labels[n].ljust(label_width), style=bold if chosen else "")
            text.append((row.tags or "-")[:tag_width - 2].ljust(tag_width), style=dim)
            expects = row.expected.revision if row.expected is not None else "?"
            text.append(f"expects {expects}".ljust(23))
            if v is not None:
                text.append(v.headline, style=style(self.app, MEANING.get(v.outcome, "warning"), bold=chosen))
            text.append("\n")
        if not rows:
            text.append("  no component revisions listed yet\n", style=dim)
        chosen_verdict = verdicts[selected] if 0 <= selected < len(verdicts) else None
        if chosen_verdict is not None:
            row = rows[selected]
            text.append("\n")
            text.append("Verdict: ", style=bold)
            text.append(chosen_verdict.reason, style=style(self.app, MEANING.get(chosen_verdict.outcome, "warning")))
            if row.expected is not None:
                text.append(f" (expected head from its {row.expected.source})", style=dim)
            text.append("\n")
        if outcome:
            text.append("\n" + outcome + "\n", style=dim)
        text.rstrip()
        return text
