"""Working a task (the lifecycle): supervision starts, 分解 and its review, 进展报送 with 协办, 审签 and
督审处's review, periodic progress reports, the work items (待办) that carry each step, drafts, the task's
discussion and its history."""
