"""Search: by number, keyword or unit, from an index on both databases, as far as the user may see, ranked."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import demo_activity
from app.extensions import db
from app.models import Milestone, MilestoneReport, PlanTask, SearchEntry, TaskComment, User
from app.services.infrastructure import search, search_index
from tests.conftest import counted
from tests.snapshots import seeded


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def found(user, query: str, **options) -> list[tuple[str, int]]:
    """(kind, task number) of the hits, best first."""
    return [(hit.kind, hit.task_number) for hit in search.search(user, query, **options).items]


def test_task_18_is_found_by_a_two_character_word_and_by_its_number(activity, people):
    dushen = people["dushen"]
    assert ("task", 18) in found(dushen, "抽检", per_page=100)
    assert found(dushen, f"督〔{activity.year}〕18号")[0] == ("task", 18)
    assert found(dushen, "18")[0] == ("task", 18)
    assert found(dushen, "18号")[0] == ("task", 18)
    hit = search.search(dushen, "18").items[0]
    assert hit.number_match and hit.supervision_number == f"督〔{activity.year}〕18号"


def test_the_task_number_ranks_first_then_the_title_then_the_text(activity, people):
    results = search.search(people["dushen"], "抽检", per_page=100)
    ranks = [0 if "<mark>" in str(hit.title) else 1 for hit in results.items]
    assert ranks == sorted(ranks) and 0 in ranks and 1 in ranks


def test_reports_reviews_and_rectifications_are_found(activity, people):
    dushen = people["dushen"]
    assert ("review", 7) in found(dushen, "新增行业清单")
    assert ("rectification", 7) in found(dushen, "新增行业清单")
    assert {kind for kind, _ in found(dushen, "注册处", per_page=100)} >= {"task", "milestone", "report"}


def test_several_words_must_all_occur(activity, people):
    both = found(people["dushen"], "抽检 乳制品")
    assert both and all(number == 18 for _, number in both)
    assert found(people["dushen"], "抽检 不存在的词语") == []


def test_a_liaison_finds_only_what_their_unit_may_see(activity, people):
    zhuce, kexin = people["zhuce"], people["kexin"]
    assert found(zhuce, "抽检") == []                    # task 18 does not involve 注册处
    assert {number for _, number in found(zhuce, "行业", per_page=100)} <= {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
    assert ("review", 7) not in found(kexin, "新增行业清单") or ("review", 7) in found(zhuce, "新增行业清单")
    assert all(number != 18 for _, number in found(zhuce, "18"))


def test_matches_are_marked_and_everything_else_escaped(activity, people):
    task = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == activity.id, PlanTask.number == 18))
    db.session.add(TaskComment(plan_task_id=task.id, author_id=people["dushen"].id,
                               body='抽检<script>alert("x")</script> & 100%_done'))
    db.session.commit()
    hits = [hit for hit in search.search(people["dushen"], "<script>").items if hit.kind == "comment"]
    assert len(hits) == 1
    assert "<script>" not in str(hits[0].excerpt)
    assert "<mark>&lt;script&gt;</mark>" in str(hits[0].excerpt)
    assert [hit.kind for hit in search.search(people["dushen"], "100%_").items] == ["comment"]


@pytest.mark.parametrize("hostile", [
    "%", "_", "%%", "\\", "'", "''", '"', '""', "*", "抽*", "NEAR", "NEAR(抽检 乳制品)", 'a" OR "b', "抽检 OR 1=1",
    "^抽检", "document:抽检", "抽\x00检", "\x00", "'; DROP TABLE search_entry; --", "(((", "{}", "-抽检",
])
def test_hostile_queries_find_only_literal_matches_and_never_fail(activity, people, hostile):
    results = search.search(people["dushen"], hostile)
    for hit in results.items:
        assert hit.kind in search_index.KIND_LABELS
    assert db.session.scalar(select(func.count()).select_from(SearchEntry)) > 0


def test_wildcards_are_taken_literally(activity, people):
    assert found(people["dushen"], "%") == [] and found(people["dushen"], "_") == []
    assert found(people["dushen"], "抽%检") == [] and found(people["dushen"], "抽_检") == []


def test_a_nul_inside_the_query_is_dropped(activity, people):
    assert found(people["dushen"], "抽\x00检", per_page=100) == found(people["dushen"], "抽检", per_page=100)


def test_a_very_long_query_is_refused_with_a_message(activity, people):
    results = search.search(people["dushen"], "抽" * 10_000)
    assert results.items == [] and "检索词过长" in (results.query.problem or "")


def test_an_empty_query_searches_nothing(activity, people):
    assert search.search(people["dushen"], "  \t ").query.terms == ()


def test_results_are_paged(activity, people):
    first = search.search(people["dushen"], "监管", page=1, per_page=5)
    second = search.search(people["dushen"], "监管", page=2, per_page=5)
    assert first.total > 10 and len(first.items) == 5 and first.pages == (first.total + 4) // 5
    assert {(h.kind, h.source_id) for h in first.items}.isdisjoint({(h.kind, h.source_id) for h in second.items})
    assert search.search(people["dushen"], "监管", page=10_000, per_page=5).page == first.pages


def test_a_page_costs_a_fixed_number_of_statements(activity, people):
    dushen = people["dushen"]
    with counted() as statements:
        search.search(dushen, "监管 工作", per_page=20)
    # The bureaus the user may see (theirs and those below: one recursive query, its user's bureau once per
    # session), the count, the page and its task labels: however many entries and bureaus there are.
    assert len(statements) <= 5


def test_the_index_follows_changes_in_the_same_transaction_and_rebuilds_alike(activity, people):
    task = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == activity.id, PlanTask.number == 18))
    comment = TaskComment(plan_task_id=task.id, author_id=people["dushen"].id, body="请核对婴配粉专项数据")
    db.session.add(comment)
    db.session.flush()
    assert ("comment", 18) in found(people["dushen"], "婴配粉")
    db.session.rollback()
    assert found(people["dushen"], "婴配粉") == []

    task.title = "深化食品安全守查保专项行动(改)"
    db.session.commit()
    assert ("task", 18) in found(people["dushen"], "守查保专项行动(改)")
    before = db.session.execute(select(SearchEntry.kind, SearchEntry.source_id, SearchEntry.document)
                                .order_by(SearchEntry.kind, SearchEntry.source_id)).all()
    assert search_index.rebuild(db.session.connection()) == len(before)
    db.session.commit()
    after = db.session.execute(select(SearchEntry.kind, SearchEntry.source_id, SearchEntry.document)
                               .order_by(SearchEntry.kind, SearchEntry.source_id)).all()
    assert after == before
    assert ("task", 18) in found(people["dushen"], "守查保专项行动(改)")


def test_a_report_is_found_by_its_problems_next_steps_and_coordination(activity, people):
    """存在问题 / 下步计划 / 需协调事项 are indexed with the report's text, kept current on change."""
    report = db.session.scalar(select(MilestoneReport).join(Milestone).join(PlanTask).where(
        PlanTask.plan_id == activity.id, PlanTask.number == 7).order_by(MilestoneReport.id))
    report.problems, report.next_steps = "数据口径尚未统一", "下月完成比对核查"
    report.coordination = "需省大数据局开放企业登记接口"
    db.session.commit()
    dushen = people["dushen"]
    for word in ("大数据局", "口径", "比对核查"):
        hits = [hit for hit in search.search(dushen, word, per_page=100).items if hit.kind == "report"]
        assert [(hit.task_number, hit.source_id) for hit in hits] == [(7, report.id)], word
    assert ("report", 7) in found(people["zhuce"], "大数据局")  # the unit's own report
    report.coordination = None
    db.session.commit()
    assert found(dushen, "大数据局") == []


def test_grams_are_runs_of_letters_and_digits():
    assert search_index.grams("抽检、A1") == "1 a a1 抽 抽检 检"


def test_a_number_finds_its_task_alone_and_counting_stops_at_a_bound(activity, people, monkeypatch):
    assert found(people["dushen"], "18号") == [("task", 18)]
    monkeypatch.setattr(search, "MAX_COUNTED", 5)
    results = search.search(people["dushen"], "监管", per_page=3)
    assert results.more and results.total == 6 and len(results.items) == 3


def test_the_rebuild_command_rewrites_the_index(app, activity, people):
    db.session.execute(SearchEntry.__table__.delete())
    db.session.commit()
    assert found(people["dushen"], "抽检") == []
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "检索索引已重建" in result.output
    db.session.remove()
    dushen = db.session.scalar(select(User).where(User.username == "dushen"))
    assert ("task", 18) in found(dushen, "抽检", per_page=100)
