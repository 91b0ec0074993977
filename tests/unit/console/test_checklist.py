"""The runbook's checklist model: parsed from Markdown, toggled by hand, ticked by evidence."""

from __future__ import annotations

from tui.core.checklist import EXECUTE, RUNBOOK_CHECKLIST, Checklist

RUNBOOK = """\
# Rollback Strategy

## Kubernetes Native Rollback

- [ ] not a checklist item: outside the checklist section

## Rollback Checklist

### Pre-Rollback

- [ ] Identify the issue
- [x] Notify team

### Post-Rollback

- [ ] Run smoke tests

## Monitoring Rollbacks

- [ ] not this one either
"""


def test_the_runbook_checklist_has_its_three_sections():
    checklist = Checklist.runbook()
    assert [s.title for s in checklist.sections] == ["Pre-Rollback", "During Rollback", "Post-Rollback"]
    assert len(checklist) == 12 and checklist.done == 0
    assert [i.text for i in checklist.sections[1].items] == [
        "Execute rollback command", "Monitor rollout status", "Check pod health", "Verify service connectivity"]
    assert "### During Rollback" in RUNBOOK_CHECKLIST


def test_parse_reads_only_the_checklist_section_and_its_marks():
    checklist = Checklist.parse(RUNBOOK)
    assert [(s.title, [i.text for i in s.items]) for s in checklist.sections] == [
        ("Pre-Rollback", ["Identify the issue", "Notify team"]), ("Post-Rollback", ["Run smoke tests"])]
    assert checklist.get("notify-team").done
    assert checklist.progress() == (1, 3)


def test_toggle_by_hand_and_tick_by_evidence():
    checklist = Checklist.runbook()
    item = checklist.toggle("pre-rollback/identify-the-issue")
    assert item.done and checklist.done == 1
    assert checklist.tick(EXECUTE, "eli-maor-backend rolled back at 02:00:00Z").evidence.startswith("eli-maor")
    assert checklist.tick(EXECUTE, "again") is None  # already ticked: the first evidence stays
    assert checklist.toggle(EXECUTE).done is False
    assert checklist.get(EXECUTE).evidence == ""
