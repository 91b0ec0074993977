"""The runbook's Rollback Checklist as a plain-Python model (no Textual).

The items are the Eli Maor *Rollback Strategy*'s "Rollback Checklist"
section; `parse()` reads the same shape from any runbook's Markdown (`###`
section headings, `- [ ]` items), so another team's runbook drops in. An
item is ticked by hand (space in the sidebar) or by evidence the console
sees (a rollback executed, its rollout complete, pods healthy, a smoke test
passed); either way it keeps who ticked it, when, and the evidence. `how`
says, before it is ticked, what will satisfy it.
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

# The runbook's items by their own slug (what `Checklist.get` accepts).
IDENTIFY, TARGET, DATABASE, NOTIFY = (
    "identify-the-issue", "determine-target-revision", "check-database-compatibility", "notify-team")
EXECUTE, MONITOR, POD_HEALTH, CONNECTIVITY = (
    "execute-rollback-command", "monitor-rollout-status", "check-pod-health", "verify-service-connectivity")
APP_HEALTH, LOGS, SMOKE, REPORT = (
    "verify-application-health", "check-logs-for-errors", "run-smoke-tests", "update-incident-report")

# How each item is satisfied: "by hand" ones wait for space; the rest the console ticks from what it sees.
BY_HAND = "by hand"
HOW = {
    IDENTIFY: "by hand (space)",
    TARGET: "when a rollback target is confirmed",
    DATABASE: "by hand, with a note (space)",
    NOTIFY: "by hand (space)",
    EXECUTE: "when a rollback succeeds",
    MONITOR: "when the rollout reports success",
    POD_HEALTH: "pods Ready, no restarts for a window",
    CONNECTIVITY: "Services have ready endpoints",
    APP_HEALTH: "the health check passes",
    LOGS: "no error lines in recent pod logs",
    SMOKE: "the smoke test exits 0 (S)",
    REPORT: "when the incident report is exported",
}

# What the engineer's own hand wrote as evidence: unticking these needs no confirmation.
HAND_EVIDENCE = ("ticked by hand", "checked by hand")

# What each failure re-opens, of the items it had ticked: a failed or stalled rollback (or a target whose pods
# crash-loop) takes back everything from the execution on; pods going unready take back what health proved.
ROLLBACK_FAILED, PODS_UNHEALTHY = "rollback-failed", "pods-unhealthy"
HEALTH_ITEMS = (POD_HEALTH, CONNECTIVITY, APP_HEALTH, LOGS, SMOKE)
REOPENED_BY = {
    ROLLBACK_FAILED: (EXECUTE, MONITOR, *HEALTH_ITEMS),
    PODS_UNHEALTHY: HEALTH_ITEMS,
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Item:
    key: str
    section: str
    text: str
    done: bool = False
    evidence: str = ""  # why it is ticked: what the console saw, or "ticked by hand"
    how: str = BY_HAND  # what satisfies it, shown while it is open
    by: str = ""  # who ticked it (the console's user; evidence ticks too, on their watch)
    at: float = 0.0  # when (epoch seconds of the console's clock)
    note: str = ""  # what the engineer wrote when ticking (database compatibility)
    status: str = ""  # while open: the last check's result ("backend-7d9: 3 errors", "smoke test running")
    failing: bool = False  # that result is a failure (shown as one), not progress
    reopened: str = ""  # why a failure took its tick back (kept until it is ticked again)

    @property
    def slug(self) -> str:
        return self.key.rsplit("/", 1)[-1]


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
                own = slug(item.group("text"))
                section.items.append(Item(f"{slug(section.title)}/{own}", section.title, item.group("text"),
                                          done=item.group("mark") != " ", how=HOW.get(own, BY_HAND)))
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

    def _item(self, key: str) -> Item:
        item = self.get(key)
        if item is None:
            raise KeyError(key)
        return item

    def toggle(self, key: str, by: str = "", at: float = 0.0, note: str = "") -> Item:
        """By hand: tick an open item, untick a ticked one."""
        item = self._item(key)
        self.set(key, not item.done, evidence="ticked by hand" if not item.done else "", by=by, at=at, note=note)
        return item

    def tick(self, key: str, evidence: str, by: str = "", at: float = 0.0) -> Item | None:
        """Tick from evidence; returns the item if this changed it (already-ticked items stay as they are)."""
        item = self.get(key)
        if item is None or item.done:
            return None
        self.set(key, True, evidence=evidence, by=by, at=at)
        return item

    def set(self, key: str, done: bool, evidence: str = "", by: str = "", at: float = 0.0, note: str = "") -> bool:
        """Put an item in exactly this state (restoring a resumed incident, or a tick); True if anything changed.

        Unticking clears evidence, who, when and note: an open item carries no claim."""
        item = self._item(key)
        if not done:
            evidence, by, at, note = "", "", 0.0, ""
        before = (item.done, item.evidence, item.by, item.at, item.note)
        item.done, item.evidence, item.by, item.at, item.note = done, evidence, by, at, note
        if done:
            item.status, item.failing, item.reopened = "", False, ""
        return before != (item.done, item.evidence, item.by, item.at, item.note)

    def reopen(self, cause: str, reason: str) -> list[Item]:
        """A failure takes back the items `cause` re-opens that were ticked: each shows `reason`, failing.
        Returns those it re-opened (the others stay as they are)."""
        reopened = []
        for key in REOPENED_BY[cause]:
            item = self.get(key)
            if item is None or not item.done:
                continue
            self.set(item.key, False)
            item.status, item.failing, item.reopened = f"re-opened: {reason}", True, reason
            reopened.append(item)
        return reopened

    def clear(self) -> None:
        """Every item open, with nothing said under it (a new incident's checklist)."""
        for item in self:
            self.set(item.key, False)
            item.status, item.failing, item.reopened = "", False, ""

    def report(self, key: str, status: str, failing: bool = False) -> bool:
        """The last check's result on an open item (shown under it); True if it changed."""
        item = self._item(key)
        if (item.status, item.failing) == (status, failing):
            return False
        item.status, item.failing = status, failing
        return True

    @property
    def done(self) -> int:
        return sum(1 for item in self if item.done)

    def progress(self, section: Section | None = None) -> tuple[int, int]:
        items = section.items if section else list(self)
        return sum(1 for i in items if i.done), len(items)
