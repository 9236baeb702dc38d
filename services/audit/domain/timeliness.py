"""Timeliness statistics (pure): how promptly agencies answer, from the request facts."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

# Open states in which the answer clock does not run: waiting for the applicant, not the agency.
CLOCK_STOPPED = frozenset({"pending_receipt", "awaiting_correction"})
FINISHED = frozenset({"answered", "closed"})


@dataclass(frozen=True)
class TimelinessFact:
    agency_id: str
    state: str
    received_on: date | None
    due_on: date | None
    finished_on: date | None
    on_time: bool | None
    working_days_taken: int | None
    extension_days: int
    correction_requested: bool


def is_overdue(f: TimelinessFact, today: date) -> bool:
    """Open, the clock running and the due date passed."""
    return f.state not in FINISHED and f.finished_on is None and f.state not in CLOCK_STOPPED and f.due_on is not None and f.due_on < today


def p90(values: list[int]) -> int | None:
    """The 90th percentile by nearest rank (an actual value, never an interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _in(day: date | None, since: date | None, until: date | None) -> bool:
    return day is not None and (since is None or day >= since) and (until is None or day <= until)


class TimelinessCounts(TypedDict):
    """One group's timeliness figures (what the statistics API returns per agency and in total)."""

    received: int
    answered: int
    answered_on_time: int
    closed_without_answer: int
    overdue_now: int
    avg_working_days: float | None
    p90_working_days: int | None
    extensions_used: int
    corrections_issued: int


def timeliness(facts: Iterable[TimelinessFact], *, since: date | None, until: date | None, today: date) -> TimelinessCounts:
    """Counts for one group of requests over the period [since, until] (both inclusive).

    received: first receipt in the period; answered: first answer dispatched in the period (a
    request withdrawn, or closed without an answer, is `closed_without_answer`, never answered:
    the assessment counts the same way); extensions_used and corrections_issued: among requests
    received in the period; overdue_now: a snapshot on `today`, whatever the period.
    """
    received = answered = on_time = closed = overdue = extensions = corrections = 0
    days: list[int] = []
    for f in facts:
        if _in(f.received_on, since, until):
            received += 1
            extensions += f.extension_days > 0
            corrections += bool(f.correction_requested)
        if _in(f.finished_on, since, until):
            if f.on_time is None:  # finished without an answer: withdrawn, lapsed, closed
                closed += 1
            else:
                answered += 1
                on_time += f.on_time is True
                if f.working_days_taken is not None:
                    days.append(f.working_days_taken)
        overdue += is_overdue(f, today)
    return {
        "received": received,
        "answered": answered,
        "answered_on_time": on_time,
        "closed_without_answer": closed,
        "overdue_now": overdue,
        "avg_working_days": round(sum(days) / len(days), 1) if days else None,
        "p90_working_days": p90(days),
        "extensions_used": extensions,
        "corrections_issued": corrections,
    }
