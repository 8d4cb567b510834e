"""What a new version changes, named in Chinese from SpiffWorkflow's SpecDiff."""
from __future__ import annotations

from pathlib import Path

from app.workflow.diagrams import parse_diagram
from app.workflow.diff import diff_specs

ROOT = Path(__file__).resolve().parents[2]
MILESTONE = (ROOT / "processes" / "milestone.bpmn").read_text(encoding="utf-8")
LEADER_REVIEW = (ROOT / "tests" / "fixtures" / "processes" / "milestone_leader_review.bpmn").read_text(encoding="utf-8")


def spec(text: str):
    return parse_diagram(text.encode("utf-8")).specs["milestone"]


def kinds(old: str, new: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for change in diff_specs("milestone", spec(old), spec(new)).changes:
        found.setdefault(change.kind, []).append(change.step_id)
    return found


def test_the_same_diagram_has_no_changes():
    assert kinds(MILESTONE, MILESTONE) == {}


def test_an_added_step_and_the_gateway_leading_to_it():
    changes = diff_specs("milestone", spec(MILESTONE), spec(LEADER_REVIEW))
    assert {c.kind: c.step_id for c in changes.changes} == {"added": "leader_review", "condition": "gw_review"}
    added, condition = changes.changes
    assert "分管局领导审核" in added.step and "督审处" in added.detail
    assert 'decision == "approve" → end' in condition.detail and "→ leader_review" in condition.detail
    assert changes.ids("added") == ["leader_review"]


def test_removed_renamed_moved_and_condition_changes():
    edited = (MILESTONE.replace('name="报送进展"', 'name="报送工作进展"')
              .replace("<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "")
              .replace("<bpmn:flowNodeRef>signoff</bpmn:flowNodeRef>",
                       "<bpmn:flowNodeRef>signoff</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>")
              .replace("len(cooperating_unit_ids) > 0", "len(cooperating_unit_ids) > 1"))
    assert kinds(MILESTONE, edited) == {"renamed": ["report"], "lane": ["review"], "condition": ["gw_contribution"]}
    assert kinds(LEADER_REVIEW, MILESTONE) == {"removed": ["leader_review"], "condition": ["gw_review"]}
