"""办结 and what it freezes: closing a unit's part of a task, the task evaluation (任务评价) computed from
the recorded events under the plan's scoring policy (评分规则), and the annual assessment (考核评分)."""
