"""Deadline phrases of a plan read as suggested due dates."""
from __future__ import annotations

import datetime

import pytest

from app.plan_parser import parse_text
from app.plan_parser.deadlines import find_deadline, read_deadline_cell


@pytest.mark.parametrize(("text", "due", "phrase"), [
    ("3月底前出台实施方案", "2023-03-31", "3月底前"),
    ("6月底前完成摸底，年底前全面完成", "2023-12-31", "年底前"),
    ("六月底前完成", "2023-06-30", "六月底前"),
    ("上半年完成试点", "2023-06-30", "上半年"),
    ("下半年推开", "2023-12-31", "下半年"),
    ("三季度完成验收", "2023-09-30", "三季度"),
    ("第一季度末前报送", "2023-03-31", "第一季度末前"),
    ("11月中旬前报送总结", "2023-11-20", "11月中旬前"),
    ("2023年9月15日前报送", "2023-09-15", "2023年9月15日前"),
    ("截至2022年底已完成，2023年6月30日前全面推开", "2023-06-30", "2023年6月30日前"),
    ("年内完成", "2023-12-31", "年内"),
    ("2024年3月底前完成", "2024-03-31", "2024年3月底前"),
])
def test_a_deadline_phrase_becomes_the_latest_date_it_names(text, due, phrase):
    deadline = find_deadline(text, 2023)
    assert deadline is not None and (deadline.on(2023).isoformat(), deadline.phrase) == (due, phrase)
    assert not deadline.ongoing


def test_ongoing_work_is_due_at_the_year_end_only_without_a_date():
    ongoing = find_deadline("持续推进放管服改革", 2023)
    assert ongoing is not None and ongoing.ongoing and ongoing.on(2023) == datetime.date(2023, 12, 31)
    dated = find_deadline("持续推进改革，6月底前出台方案", 2023)
    assert dated is not None and not dated.ongoing and dated.on(2023) == datetime.date(2023, 6, 30)


@pytest.mark.parametrize("text", ["尽快完成", "力争3年内完成", "截至2022年底", "推进改革", "6个月"])
def test_text_without_a_deadline_has_none(text):
    assert find_deadline(text, 2023) is None


@pytest.mark.parametrize(("cell", "due"), [
    (datetime.datetime(2023, 6, 30), "2023-06-30"),
    (datetime.date(2023, 7, 1), "2023-07-01"),
    ("2023-06-30", "2023-06-30"),
    ("2023/6/30", "2023-06-30"),
    ("2023.6.30", "2023-06-30"),
    ("2023年6月30日", "2023-06-30"),
    ("20230630", "2023-06-30"),
    ("年底前", "2023-12-31"),
    ("持续推进", "2023-12-31"),
])
def test_a_table_cell_is_a_date_or_a_phrase(cell, due):
    deadline = read_deadline_cell(cell, 2023)
    assert deadline is not None and deadline.on(2023).isoformat() == due


@pytest.mark.parametrize("cell", ["尽快", "2023-02-30", "2023-13-01", "待定", ""])
def test_a_cell_that_is_no_date_is_none(cell):
    assert read_deadline_cell(cell, 2023) is None


def test_a_document_plans_tasks_carry_their_deadlines():
    plan = parse_text("2023年重点工作安排\n一、工作任务\n1.6月底前出台登记便利化方案。（注册处负责）\n"
                      "2.持续推进信用监管。（信用处负责）\n3.加强组织领导。（办公室负责）\n")
    due = {task.number: task.deadline and task.deadline.on(2023).isoformat() for task in plan.tasks}
    assert due == {1: "2023-06-30", 2: "2023-12-31", 3: None}
