"""Scheduled jobs: each is a thin call into a service in app/, committed once.

The list is empty until deadline reminders arrive (issue 6); the process already runs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    """One recurring job: its stable id (also the function name), function and trigger."""

    id: str
    func: Callable[[], None]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)


JOBS: tuple[JobSpec, ...] = ()
