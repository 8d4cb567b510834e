"""Time the plan parser on the 2023 Hubei plan and on a generated 500-task plan.

Run: .venv/bin/python bench/bench_plan_parser.py [runs]
Prints figures only; nothing here asserts on time.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.plan_parser import parse_document, parse_text  # noqa: E402

HUBEI = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"
_ANNOTATIONS = ("（注册处牵头，科信处、信息中心分工负责）", "（质量发展处、质量监督处等相关业务处室分工负责）",
                "（计量处负责）", "（牵头单位：消保处，配合单位：12315指挥中心、信息中心）")
_CN = "一二三四五六七八九十"


def synthetic_plan(tasks: int = 500, per_section: int = 25) -> str:
    """A plan of `tasks` tasks in sections of `per_section`, with targets and annotations."""
    lines = ["2024年全省市场监管工作要点（压力测试）", "某某局办公室", "2024年1月1日"]
    for number in range(1, tasks + 1):
        if (number - 1) % per_section == 0:
            section = (number - 1) // per_section + 1
            lines.append(f"{_section_label(section)}、第{section}部分重点工作")
        lines.append(f"{number}.推进第{number}项重点工作，完成{number % 90 + 10}项改造，"
                     f"抽检不少于{number}万批次，覆盖率达到95%以上。{_ANNOTATIONS[number % 4]}")
    return "\n".join(lines)


def _section_label(section: int) -> str:
    """Chinese numeral for a section number below 100."""
    tens, ones = divmod(section, 10)
    return ("" if tens < 2 else _CN[tens - 1]) + ("十" if tens else "") + (_CN[ones - 1] if ones else "")


def median_ms(function, runs: int) -> float:
    """Median wall time of `runs` calls, in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Print the parse times."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    data = HUBEI.read_bytes()
    plan = parse_document(data, HUBEI.name)
    print(f"2023 Hubei plan: {len(plan.tasks)} tasks, {len(data)} bytes, "
          f"median {median_ms(lambda: parse_document(data, HUBEI.name), runs):.1f} ms over {runs} runs")
    text = synthetic_plan()
    plan = parse_text(text)
    print(f"synthetic plan: {len(plan.tasks)} tasks, {len(plan.sections)} sections, {len(text)} chars, "
          f"median {median_ms(lambda: parse_text(text), runs):.1f} ms over {runs} runs")


if __name__ == "__main__":
    main()
