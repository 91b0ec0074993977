"""The runbook's Rollback Checklist as a plain-Python model (no Textual).

The items are the Eli Maor *Rollback Strategy*'s "Rollback Checklist"
section; `parse()` reads the same shape from any runbook's Markdown (`###`
section headings, `- [ ]` items), so another team's runbook drops in. An
item is ticked by hand (space in the sidebar) or by evidence the console
sees (a rollback executed, its rollout complete); evidence says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

RUNBOOK_CHECKLIST = """\
## Rollback Checklist

### Pre-Rollback

- [ ] Identify the issue
- [ ] Determine target revision
- [ ] Check database compatibility
- [ ] Notify team

### During Rollback

- [ ] Execute rollback command
- [ ] Monitor rollout status
- [ ] Check pod health
- [ ] Verify service connectivity

### Post-Rollback

- [ ] Verify application health
- [ ] Check logs for errors
- [ ] Run smoke tests
- [ ] Update incident report
"""

_SECTION = re.compile(r"^#{2,4}\s+(?P<title>.+?)\s*$")
_ITEM = re.compile(r"^\s*[-*]\s+\[(?P<mark>[ xX])\]\s+(?P<text>.+?)\s*$")

# Evidence the console can see for itself, by the item's key.
IDENTIFY, TARGET, EXECUTE, MONITOR, POD_HEALTH = (
    "identify-the-issue", "determine-target-revision", "execute-rollback-command",
    "monitor-rollout-status", "check-pod-health",
)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Item:
    key: str
    section: str
    text: str
    done: bool = False
    evidence: str = ""  # why it was ticked, when the console ticked it


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)


class Checklist:
    def __init__(self, sections: list[Section]):
        self.sections = sections
        self._by_key = {item.key: item for section in sections for item in section.items}

    @classmethod
    def runbook(cls) -> Checklist:
        return cls.parse(RUNBOOK_CHECKLIST)

    @classmethod
    def parse(cls, markdown: str) -> Checklist:
        """The `### Section` / `- [ ] item` lists of a runbook's checklist (first one found)."""
        sections: list[Section] = []
        in_checklist = "checklist" not in markdown.lower()
        for line in markdown.splitlines():
            heading = _SECTION.match(line)
            if heading:
                title = heading.group("title")
                if line.startswith("## ") and not line.startswith("###"):
                    if sections and in_checklist:
                        break
                    in_checklist = "checklist" in title.lower()
                    continue
                if in_checklist:
                    sections.append(Section(title))
                continue
            item = _ITEM.match(line)
            if item and in_checklist:
                if not sections:
                    sections.append(Section("Checklist"))
                section = sections[-1]
                section.items.append(Item(f"{slug(section.title)}/{slug(item.group('text'))}", section.title,
                                          item.group("text"), done=item.group("mark") != " "))
        return cls([s for s in sections if s.items])

    def __iter__(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, key: str) -> Item | None:
        """By full key (`pre-rollback/notify-team`) or by the item's own slug (`notify-team`)."""
        if key in self._by_key:
            return self._by_key[key]
        for item in self:
            if item.key.endswith("/" + key):
                return item
        return None

    def toggle(self, key: str) -> Item:
        item = self.get(key)
        if item is None:
            raise KeyError(key)
        item.done = not item.done
        item.evidence = ""
        return item

    def tick(self, key: str, evidence: str) -> Item | None:
        """Tick from evidence; returns the item if this changed it (already-ticked items stay as they are)."""
        item = self.get(key)
        if item is None or item.done:
            return None
        item.done, item.evidence = True, evidence
        return item

    @property
    def done(self) -> int:
        return sum(1 for item in self if item.done)

    def progress(self, section: Section | None = None) -> tuple[int, int]:
        items = section.items if section else list(self)
        return sum(1 for i in items if i.done), len(items)
