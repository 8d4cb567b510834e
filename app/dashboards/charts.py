"""ECharts options built from the dashboard figures; charts.js draws them, the tables beside show the same rows."""
from __future__ import annotations

from typing import Any

from app.services.dashboards.facts import TaskState
from app.services.dashboards.overview import Progress
from app.services.dashboards.targets import TargetProgress, WeekCount

#: Light colours, the same the badges use.
COLOURS = {"approved": "#198754", "overdue": "#dc3545", "open": "#adb5bd", "rate": "#0d6efd",
           "绿": "#198754", "蓝": "#0d6efd", "黄": "#ffc107", "红": "#dc3545", "灰": "#6c757d"}

STATE_COLOURS = {TaskState.NOT_STARTED: "#adb5bd", TaskState.DECOMPOSING: "#ffc107", TaskState.IN_PROGRESS: "#0d6efd",
                 TaskState.CLOSED: "#198754", TaskState.SUSPENDED: "#6c757d"}


def _bars(names: list[str], series: list[dict[str, Any]], horizontal: bool = False) -> dict[str, Any]:
    # Long section and unit names: cut to fit under their bar (the tooltip and the table view show them whole).
    width = 120 if horizontal else 56
    category = {"type": "category", "data": names, "axisLabel": {"interval": 0, "width": width, "overflow": "truncate"}}
    value = {"type": "value", "minInterval": 1}
    return {"animation": False, "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
            "grid": {"left": 8, "right": 16, "bottom": 8, "top": 32, "containLabel": True},
            "xAxis": value if horizontal else category, "yAxis": category if horizontal else value,
            "series": series}


def _stack(name: str, data: list[Any], colour: str) -> dict[str, Any]:
    return {"name": name, "type": "bar", "stack": "total", "data": data, "itemStyle": {"color": colour}}


def states_pie(counts: dict[TaskState, int]) -> dict[str, Any]:
    """Tasks by state."""
    return {"animation": False, "tooltip": {"trigger": "item"}, "legend": {"bottom": 0},
            "series": [{"type": "pie", "radius": ["35%", "65%"], "label": {"formatter": "{b}:{c}"},
                        "data": [{"name": s.label, "value": n, "itemStyle": {"color": STATE_COLOURS[s]}}
                                 for s, n in counts.items()]}]}


def progress_bars(rows: list[Progress], horizontal: bool = False) -> dict[str, Any]:
    """Milestones done, overdue and still open, per section or unit."""
    return _bars([r.name for r in rows], [
        _stack("已完成", [r.approved for r in rows], COLOURS["approved"]),
        _stack("逾期", [r.overdue for r in rows], COLOURS["overdue"]),
        _stack("未完成未逾期", [r.milestones - r.approved - r.overdue for r in rows], COLOURS["open"]),
    ], horizontal)


def on_time_bars(rows: list[Progress]) -> dict[str, Any]:
    """On-time rate per unit, best first (top of the chart)."""
    rated = [r for r in rows if r.on_time_rate is not None][::-1]
    series = {"name": "按期完成率(%)", "type": "bar", "data": [r.on_time_rate for r in rated],
              "itemStyle": {"color": COLOURS["rate"]}, "label": {"show": True, "position": "right"}}
    option = _bars([r.name for r in rated], [series], horizontal=True)
    option["xAxis"]["max"] = 100
    return option


def lights_bars(names: list[str], counts: list[dict[str, int]]) -> dict[str, Any]:
    """Tasks per light, per section."""
    return _bars(names, [_stack(label, [c.get(label, 0) for c in counts], COLOURS[label])
                         for label in ("红", "黄", "蓝", "绿")])


def weekly_line(weeks: list[WeekCount]) -> dict[str, Any]:
    """Milestones completed per week, and the running total."""
    names = [w.monday.strftime("%m-%d") for w in weeks]
    option = _bars(names, [
        {"name": "当周完成", "type": "bar", "data": [w.approved for w in weeks],
         "itemStyle": {"color": COLOURS["approved"]}},
        {"name": "累计完成", "type": "line", "data": [w.cumulative for w in weeks], "yAxisIndex": 1},
    ])
    option["xAxis"]["axisLabel"] = {"interval": "auto"}
    option["yAxis"] = [{"type": "value", "minInterval": 1}, {"type": "value", "minInterval": 1}]
    return option


def target_bars(rows: list[TargetProgress]) -> dict[str, Any]:
    """Percent of each target reached."""
    shown = [r for r in rows if r.percent is not None][::-1]
    option = _bars([f"{r.task_number}. {r.phrase}" for r in shown],
                   [{"name": "完成比例(%)", "type": "bar", "data": [r.percent for r in shown],
                     "itemStyle": {"color": COLOURS["rate"]}, "label": {"show": True, "position": "right"}}],
                   horizontal=True)
    return option
