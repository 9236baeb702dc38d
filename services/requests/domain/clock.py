"""The statutory answer clock (Art. 30–35), counted in working days, and its explanation.

The answer period starts the day after receipt (or after a corrected request is received,
which restarts it, Art. 30). Third-party and inter-agency consultation (Art. 32, 34) and
waiting for a fee (109号文) do not count: a pause from day S to day E excludes the working
days in (S, E] — the day a letter goes out was still a working day of the agency, and the
clock resumes the day after the reply arrives. The law does not say whether the sending
day counts; we count it, which is the reading more favourable to the applicant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from shared.workdays import CalendarSource, DayKind, WorkCalendar


class RuleSet(StrEnum):
    rules_2019 = "2019"  # 国务院令第711号：20 + 20 个工作日
    rules_2008 = "2008"  # 国务院令第492号：15 + 15 个工作日


ANSWER_DAYS = {RuleSet.rules_2019: 20, RuleSet.rules_2008: 15}
MAX_EXTENSION_DAYS = {RuleSet.rules_2019: 20, RuleSet.rules_2008: 15}
CORRECTION_NOTICE_DAYS = 7  # Art. 30: tell the applicant within 7 working days of receipt
CONSULTATION_DAYS = 15  # Art. 32 / 34: the consulted party has 15 working days
FEE_PAYMENT_DAYS = 20  # 109号文: unpaid 20 working days after the notice → no longer handled
DEFAULT_CORRECTION_PERIOD_DAYS = 15  # "a reasonable period" (Art. 30); the law leaves it to the agency


class PauseKind(StrEnum):
    third_party = "third_party"  # 征求第三方意见
    inter_agency = "inter_agency"  # 征求其他机关意见
    fee = "fee"  # 等待缴费


@dataclass(frozen=True)
class Pause:
    kind: PauseKind
    start: date
    end: date | None = None  # None: still paused

    def covers(self, day: date, today: date) -> bool:
        return self.start < day <= (self.end or today)


@dataclass(frozen=True)
class SkippedDay:
    day: date
    kind: str  # weekend | holiday | paused
    note: str | None = None


@dataclass(frozen=True)
class DueDate:
    """A due date with everything needed to check it by hand."""

    start: date
    rule_set: RuleSet
    answer_days: int
    extension_days: int
    due: date
    counted: list[date]
    skipped: list[SkippedDay]
    adjusted_workdays: list[date]
    pauses: list[Pause]
    paused_now: bool
    calendar_sources: dict[int, CalendarSource] = field(default_factory=dict)
    override_due: date | None = None  # Art. 35: a later date the agency set and told the applicant

    @property
    def provisional(self) -> bool:
        """True while paused or when a year's holidays are not yet announced."""
        return self.paused_now or any(s == CalendarSource.weekends_only for s in self.calendar_sources.values())

    @property
    def effective_due(self) -> date:
        return max(self.due, self.override_due) if self.override_due else self.due


def compute_due(
    calendar: WorkCalendar,
    start: date,
    rule_set: RuleSet,
    *,
    pauses: Sequence[Pause] = (),
    extension_days: int = 0,
    today: date,
    override_due: date | None = None,
) -> DueDate:
    """The answer due date: `answer_days + extension_days` counted working days after `start`."""
    if not 0 <= extension_days <= MAX_EXTENSION_DAYS[rule_set]:
        raise ValueError(f"extension of {extension_days} working days exceeds the maximum")
    pause_list = list(pauses)
    total = ANSWER_DAYS[rule_set] + extension_days
    counted: list[date] = []
    skipped: list[SkippedDay] = []
    adjusted: list[date] = []
    day = start
    while len(counted) < total:
        day += timedelta(days=1)
        kind, note = calendar.kind(day)
        if kind in (DayKind.weekend, DayKind.holiday):
            skipped.append(SkippedDay(day, kind.value, note))
            continue
        if any(p.covers(day, today) for p in pause_list):
            skipped.append(SkippedDay(day, "paused", next(p.kind.value for p in pause_list if p.covers(day, today))))
            continue
        if kind == DayKind.adjusted_workday:
            adjusted.append(day)
        counted.append(day)
    years = range(start.year, day.year + 1)
    return DueDate(
        start=start,
        rule_set=rule_set,
        answer_days=ANSWER_DAYS[rule_set],
        extension_days=extension_days,
        due=day,
        counted=counted,
        skipped=skipped,
        adjusted_workdays=adjusted,
        pauses=pause_list,
        paused_now=any(p.end is None for p in pause_list),
        calendar_sources={y: calendar.source_of(y) for y in years},
        override_due=override_due,
    )


def days_remaining(calendar: WorkCalendar, due: date, today: date, pauses: Sequence[Pause] = ()) -> int:
    """Working days left until `due`: 0 on the due date, and from the day after it negative
    (at least -1, even on a weekend when no further working day has passed yet)."""

    def paused(day: date) -> bool:
        return any(p.covers(day, today) for p in pauses)

    left = calendar.workdays_between(today, due, excluded=paused)
    return min(left, -1) if today > due else left


def deadline_after(calendar: WorkCalendar, start: date, working_days: int) -> date:
    """A plain period: the `working_days`-th working day after `start` (e.g. 15 days to reply)."""
    return calendar.add_workdays(start, working_days)
