"""The statutory answer clock (Art. 30–35 of the 2019 rules; 15 + 15 days under the 2008 rules).

Pure tests: the official calendar comes from the `chinesecalendar` package (2004–2026);
later years fall back to weekends only unless an admin announces them.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.requests.domain.clock import (
    ANSWER_DAYS,
    CONSULTATION_DAYS,
    CORRECTION_NOTICE_DAYS,
    MAX_EXTENSION_DAYS,
    Pause,
    PauseKind,
    RuleSet,
    compute_due,
    days_remaining,
    deadline_after,
)
from shared.workdays import CalendarSource, DayKind, DayOverride, WorkCalendar

CAL = WorkCalendar()
TODAY = date(2026, 9, 28)
RECEIVED = date(2026, 9, 28)  # a Monday, three days before the 2026 National Day holiday

# Start dates where the package knows every day of the period (the package stops at 2026-12-31).
known_starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30))
rule_sets = st.sampled_from(list(RuleSet))
slow = settings(deadline=None)


def due(start: date, rule_set: RuleSet = RuleSet.rules_2019, **kw):
    kw.setdefault("today", TODAY)
    return compute_due(CAL, start, rule_set, **kw)


# -- the acceptance case -------------------------------------------------------------------------


def test_request_received_2026_09_28_under_2019_rules_is_due_2026_10_30():
    d = due(RECEIVED)
    assert d.due == date(2026, 10, 30)
    assert d.effective_due == date(2026, 10, 30)
    assert d.answer_days == 20 and d.extension_days == 0
    assert d.start == RECEIVED and d.rule_set == RuleSet.rules_2019


def test_acceptance_case_skips_the_national_day_holidays_by_name():
    d = due(RECEIVED)
    holidays = {s.day: s.note for s in d.skipped if s.kind == "holiday"}
    assert sorted(holidays) == [date(2026, 10, i) for i in range(1, 8)]
    # the package files the whole 2026 golden week under National Day (Mid-autumn falls on 09-25 that year)
    for day, note in holidays.items():
        _, name = chinese_calendar.get_holiday_detail(day)
        assert note == {"National Day": "国庆节", "Mid-autumn Festival": "中秋节"}[name]
    assert set(holidays.values()) <= {"国庆节", "中秋节"}
    # ordinary weekends in the period are skipped as weekends, without a name
    weekends = [s.day for s in d.skipped if s.kind == "weekend"]
    assert weekends == [date(2026, 10, 11), date(2026, 10, 17), date(2026, 10, 18), date(2026, 10, 24), date(2026, 10, 25)]
    assert all(s.note is None for s in d.skipped if s.kind == "weekend")
    assert not [s for s in d.skipped if s.kind == "paused"]


def test_acceptance_case_counts_saturday_2026_10_10_as_an_adjusted_working_day():
    d = due(RECEIVED)
    assert date(2026, 10, 10).weekday() == 5
    assert d.adjusted_workdays == [date(2026, 10, 10)]
    assert date(2026, 10, 10) in d.counted
    assert CAL.kind(date(2026, 10, 10)) == (DayKind.adjusted_workday, "国庆节")


def test_acceptance_case_counts_exactly_20_working_days_and_not_the_receipt_day():
    d = due(RECEIVED)
    assert len(d.counted) == 20
    assert RECEIVED not in d.counted
    assert d.counted[0] == date(2026, 9, 29)
    assert d.counted[-1] == d.due
    assert all(a < b for a, b in zip(d.counted, d.counted[1:], strict=False))
    assert all(CAL.is_workday(day) for day in d.counted)
    assert d.counted == [
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
        *[date(2026, 10, i) for i in range(12, 17)],
        *[date(2026, 10, i) for i in range(19, 24)],
        *[date(2026, 10, i) for i in range(26, 31)],
    ]
    # every calendar day between receipt and due is either counted or skipped, exactly once
    explained = sorted(d.counted + [s.day for s in d.skipped])
    assert explained == [RECEIVED + timedelta(days=i) for i in range(1, (d.due - RECEIVED).days + 1)]


def test_acceptance_case_is_official_and_not_provisional():
    d = due(RECEIVED)
    assert d.calendar_sources == {2026: CalendarSource.official}
    assert not d.paused_now
    assert not d.provisional
    assert days_remaining(CAL, d.due, RECEIVED) == 20


# -- rule sets and extensions (Art. 33) -------------------------------------------------------


def test_2019_rules_give_20_days_with_an_extension_of_at_most_20():
    assert ANSWER_DAYS[RuleSet.rules_2019] == 20
    assert MAX_EXTENSION_DAYS[RuleSet.rules_2019] == 20


def test_2008_rules_give_15_days_with_an_extension_of_at_most_15():
    assert ANSWER_DAYS[RuleSet.rules_2008] == 15
    assert MAX_EXTENSION_DAYS[RuleSet.rules_2008] == 15
    d = due(RECEIVED, RuleSet.rules_2008)
    assert d.due == date(2026, 10, 23)
    assert d.answer_days == 15 and len(d.counted) == 15


def test_the_2019_rules_are_the_default_rule_set_value_2019():
    assert RuleSet("2019") is RuleSet.rules_2019
    assert RuleSet("2008") is RuleSet.rules_2008


def test_a_full_20_day_extension_moves_the_acceptance_case_to_2026_11_27():
    d = due(RECEIVED, extension_days=20)
    assert d.due == date(2026, 11, 27)
    assert len(d.counted) == 40
    assert d.extension_days == 20 and d.answer_days == 20


def test_a_full_15_day_extension_under_the_2008_rules_is_accepted():
    d = due(RECEIVED, RuleSet.rules_2008, extension_days=15)
    assert len(d.counted) == 30
    assert d.due == date(2026, 11, 13)


@pytest.mark.parametrize(("rule_set", "too_long"), [(RuleSet.rules_2019, 21), (RuleSet.rules_2008, 16)])
def test_an_extension_beyond_the_maximum_is_refused(rule_set, too_long):
    with pytest.raises(ValueError):
        due(RECEIVED, rule_set, extension_days=too_long)


@pytest.mark.parametrize("rule_set", list(RuleSet))
def test_a_negative_extension_is_refused(rule_set):
    with pytest.raises(ValueError):
        due(RECEIVED, rule_set, extension_days=-1)


@slow
@given(start=known_starts, rule_set=rule_sets, data=st.data())
def test_an_extension_of_k_days_adds_exactly_k_counted_working_days(start, rule_set, data):
    k = data.draw(st.integers(0, MAX_EXTENSION_DAYS[rule_set]), label="k")
    base = due(start, rule_set)
    extended = due(start, rule_set, extension_days=k)
    assert extended.due == CAL.add_workdays(base.due, k)
    assert len(extended.counted) == ANSWER_DAYS[rule_set] + k
    assert extended.counted[: len(base.counted)] == base.counted
    assert CAL.workdays_between(base.due, extended.due) == k


@slow
@given(start=known_starts, rule_set=rule_sets)
def test_without_pauses_the_due_date_is_the_nth_working_day_after_receipt(start, rule_set):
    d = due(start, rule_set)
    n = ANSWER_DAYS[rule_set]
    assert d.due == CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, d.due) == n
    assert CAL.is_workday(d.due)
    assert len(d.counted) == n and d.counted[-1] == d.due
    assert all(a < b for a, b in zip(d.counted, d.counted[1:], strict=False))
    assert all(start < day and CAL.is_workday(day) for day in d.counted)
    assert d.adjusted_workdays == [day for day in d.counted if day.weekday() >= 5]
    assert all(not CAL.is_workday(s.day) for s in d.skipped)


# -- correction restarts the clock (Art. 30) --------------------------------------------------


def test_a_correction_restarts_the_clock_from_the_day_the_corrected_request_arrives():
    corrected_on = date(2026, 10, 12)  # the applicant's correction arrives two weeks after receipt
    d = due(corrected_on)
    assert d.due == date(2026, 11, 9)
    assert d.due == CAL.add_workdays(corrected_on, 20)
    assert corrected_on not in d.counted
    assert d.counted[0] == date(2026, 10, 13)
    assert d.due > due(RECEIVED).due


@slow
@given(received=known_starts, gap=st.integers(0, 60))
def test_a_correction_gives_the_full_20_days_again_counted_from_the_correction_day(received, gap):
    corrected_on = received + timedelta(days=gap)
    d = due(corrected_on)
    assert d.due == CAL.add_workdays(corrected_on, 20)
    assert CAL.workdays_between(corrected_on, d.due) == 20
    assert d.start == corrected_on


def test_the_correction_notice_is_due_7_working_days_after_receipt():
    assert CORRECTION_NOTICE_DAYS == 7
    # 09-29, 09-30, [10-01..07 holiday], 10-08, 10-09, 10-10 (调休), [10-11], 10-12, 10-13
    assert deadline_after(CAL, RECEIVED, CORRECTION_NOTICE_DAYS) == date(2026, 10, 13)


def test_a_consulted_third_party_has_15_working_days_to_reply():
    assert CONSULTATION_DAYS == 15
    assert deadline_after(CAL, RECEIVED, CONSULTATION_DAYS) == date(2026, 10, 23)


@given(start=known_starts, n=st.integers(0, 60))
def test_deadline_after_is_the_nth_working_day_after_the_start(start, n):
    end = deadline_after(CAL, start, n)
    assert end == CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    if n:
        assert CAL.is_workday(end)
    else:
        assert end == start


# -- consultation and fee pauses (Art. 32, 34; 109号文) ---------------------------------------


def test_a_closed_consultation_pause_excludes_the_working_days_after_sending_up_to_the_reply():
    # letter goes out Friday 10-09 (still counted), reply arrives Wednesday 10-14 (not counted)
    pause = Pause(PauseKind.third_party, date(2026, 10, 9), date(2026, 10, 14))
    d = due(RECEIVED, pauses=[pause])
    paused = [s for s in d.skipped if s.kind == "paused"]
    assert [s.day for s in paused] == [date(2026, 10, 10), date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)]
    assert all(s.note == "third_party" for s in paused)
    assert date(2026, 10, 9) in d.counted and date(2026, 10, 15) in d.counted
    # four working days paused: 10-30 (Fri) → 11-05 (Thu)
    assert d.due == date(2026, 11, 5)
    assert d.due == CAL.add_workdays(date(2026, 10, 30), 4)
    # the paused 调休 Saturday is not counted, so it is not listed as an adjusted working day
    assert d.adjusted_workdays == []
    assert not d.paused_now and not d.provisional
    assert d.pauses == [pause]


def test_a_fee_pause_is_labelled_fee_and_overlapping_pauses_are_not_double_counted():
    fee = Pause(PauseKind.fee, date(2026, 10, 12), date(2026, 10, 16))  # 10-13..16: 4 days
    other = Pause(PauseKind.inter_agency, date(2026, 10, 14), date(2026, 10, 20))  # 10-15..20: overlaps
    d = due(RECEIVED, pauses=[fee, other])
    paused = {s.day: s.note for s in d.skipped if s.kind == "paused"}
    # union (10-12, 10-20]: 10-13..16 and 10-19, 10-20 → 6 working days
    assert sorted(paused) == [date(2026, 10, i) for i in (13, 14, 15, 16, 19, 20)]
    assert paused[date(2026, 10, 13)] == "fee"
    assert paused[date(2026, 10, 19)] == "inter_agency"
    assert d.due == CAL.add_workdays(date(2026, 10, 30), 6) == date(2026, 11, 9)


def test_a_pause_lying_entirely_on_non_working_days_changes_nothing():
    pause = Pause(PauseKind.third_party, date(2026, 9, 30), date(2026, 10, 7))  # (09-30, 10-07]: all holiday
    d = due(RECEIVED, pauses=[pause])
    assert d.due == date(2026, 10, 30)
    assert not [s for s in d.skipped if s.kind == "paused"]


@slow
@given(start=known_starts, rule_set=rule_sets, data=st.data())
def test_a_pause_within_the_period_moves_due_by_the_working_days_it_covers(start, rule_set, data):
    base = due(start, rule_set)
    period = (base.due - start).days
    s = data.draw(st.integers(0, period - 1), label="pause start offset")
    e = data.draw(st.integers(s, period - 1), label="pause end offset")
    pause_start, pause_end = start + timedelta(days=s), start + timedelta(days=e)
    covered = CAL.workdays_between(pause_start, pause_end)  # working days in (S, E]
    # all of them would otherwise have counted
    assert covered == sum(1 for day in base.counted if pause_start < day <= pause_end)
    paused = due(start, rule_set, pauses=[Pause(PauseKind.third_party, pause_start, pause_end)])
    assert paused.due == CAL.add_workdays(base.due, covered)
    assert CAL.workdays_between(base.due, paused.due) == covered
    assert len(paused.counted) == ANSWER_DAYS[rule_set]
    assert not any(pause_start < day <= pause_end for day in paused.counted)
    assert sorted(s.day for s in paused.skipped if s.kind == "paused") == [day for day in base.counted if pause_start < day <= pause_end]


@slow
@given(start=known_starts, data=st.data())
def test_any_closed_pause_leaves_exactly_20_counted_days_outside_it(start, data):
    s = data.draw(st.integers(-10, 60), label="pause start offset")
    e = data.draw(st.integers(s, s + 60), label="pause end offset")
    pause = Pause(PauseKind.inter_agency, start + timedelta(days=s), start + timedelta(days=e))
    d = due(start, pauses=[pause])
    assert len(d.counted) == 20
    assert not any(pause.covers(day, TODAY) for day in d.counted)
    assert CAL.workdays_between(start, d.due, excluded=lambda day: pause.covers(day, TODAY)) == 20
    assert d.due >= due(start).due


def test_an_open_pause_counts_as_paused_up_to_today_and_makes_the_date_provisional():
    today = date(2026, 10, 14)
    open_pause = Pause(PauseKind.third_party, date(2026, 10, 9), None)
    d = due(RECEIVED, pauses=[open_pause], today=today)
    assert d.paused_now
    assert d.provisional
    paused = [s.day for s in d.skipped if s.kind == "paused"]
    assert paused == [date(2026, 10, 10), date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)]
    # same as if the reply had arrived today
    closed = due(RECEIVED, pauses=[Pause(PauseKind.third_party, date(2026, 10, 9), today)], today=today)
    assert d.due == closed.due == date(2026, 11, 5)
    assert not closed.paused_now and not closed.provisional
    # each further day of waiting pushes the provisional due date on
    later = due(RECEIVED, pauses=[open_pause], today=date(2026, 10, 15))
    assert later.due == CAL.add_workdays(d.due, 1)


@slow
@given(start=known_starts, data=st.data())
def test_an_open_pause_is_the_same_as_one_closed_today(start, data):
    s = data.draw(st.integers(0, 25), label="pause start offset")
    t = data.draw(st.integers(s, s + 40), label="today offset")
    pause_start, today = start + timedelta(days=s), start + timedelta(days=t)
    opened = due(start, pauses=[Pause(PauseKind.fee, pause_start)], today=today)
    closed = due(start, pauses=[Pause(PauseKind.fee, pause_start, today)], today=today)
    assert opened.due == closed.due
    assert opened.counted == closed.counted
    assert opened.paused_now and opened.provisional
    assert not closed.paused_now


def test_pause_covers_the_days_after_its_start_up_to_and_including_its_end():
    p = Pause(PauseKind.third_party, date(2026, 10, 12), date(2026, 10, 14))
    assert not p.covers(date(2026, 10, 12), TODAY)
    assert p.covers(date(2026, 10, 13), TODAY)
    assert p.covers(date(2026, 10, 14), TODAY)
    assert not p.covers(date(2026, 10, 15), TODAY)
    still_open = Pause(PauseKind.third_party, date(2026, 10, 12))
    assert still_open.covers(date(2026, 10, 20), today=date(2026, 10, 20))
    assert not still_open.covers(date(2026, 10, 21), today=date(2026, 10, 20))


# -- days remaining and Art. 35 ----------------------------------------------------------------


def test_days_remaining_around_the_acceptance_due_date():
    d = date(2026, 10, 30)  # a Friday
    assert days_remaining(CAL, d, date(2026, 10, 29)) == 1
    assert days_remaining(CAL, d, d) == 0
    # overdue from the Saturday on, although no further working day has passed yet
    assert days_remaining(CAL, d, date(2026, 10, 31)) == -1
    assert days_remaining(CAL, d, date(2026, 11, 2)) == -1
    # counting from before the holiday: the holiday week does not shorten the period
    assert days_remaining(CAL, d, date(2026, 9, 30)) == 18


def test_days_remaining_does_not_count_paused_days_between_today_and_due():
    today, due_on = date(2026, 10, 14), date(2026, 11, 5)
    # (10-14, 11-05]: 10-15, 10-16, 10-19..23, 10-26..30, 11-02..05
    assert days_remaining(CAL, due_on, today) == 16
    # an open pause only reaches today, so it takes nothing from the days still ahead
    assert days_remaining(CAL, due_on, today, [Pause(PauseKind.third_party, date(2026, 10, 9))]) == 16
    # a pause covering 10-21 and 10-22 takes those two days out
    assert days_remaining(CAL, due_on, today, [Pause(PauseKind.fee, date(2026, 10, 20), date(2026, 10, 22))]) == 14


@slow
@given(start=known_starts, rule_set=rule_sets, offset=st.integers(-40, 80))
def test_days_remaining_is_zero_on_the_due_date_positive_before_and_negative_after(start, rule_set, offset):
    d = due(start, rule_set).due
    today = d + timedelta(days=offset)
    left = days_remaining(CAL, d, today)
    if today == d:
        assert left == 0
    elif today < d:
        assert left > 0
        assert left == CAL.workdays_between(today, d)
    else:
        # negative from the day after the due date: -1 on the non-working days directly after
        # it, then minus the working days that have passed
        assert left < 0
        assert left == min(-1, -CAL.workdays_between(d, today))


def test_override_due_applies_only_when_later_than_the_statutory_date():
    later = due(RECEIVED, override_due=date(2026, 12, 15))
    assert later.due == date(2026, 10, 30)
    assert later.effective_due == date(2026, 12, 15)
    earlier = due(RECEIVED, override_due=date(2026, 10, 20))
    assert earlier.effective_due == date(2026, 10, 30)
    same = due(RECEIVED, override_due=date(2026, 10, 30))
    assert same.effective_due == date(2026, 10, 30)
    assert due(RECEIVED).effective_due == date(2026, 10, 30)


@given(start=known_starts, shift=st.integers(-60, 60))
def test_effective_due_is_the_later_of_the_computed_and_the_override_date(start, shift):
    d = due(start)
    override = d.due + timedelta(days=shift)
    assert due(start, override_due=override).effective_due == max(d.due, override)


# -- years the package does not know -------------------------------------------------------


def test_a_period_running_into_2027_is_provisional_on_weekends_only():
    d = due(date(2026, 12, 14))
    assert d.calendar_sources == {2026: CalendarSource.official, 2027: CalendarSource.weekends_only}
    assert d.provisional and not d.paused_now
    # 2027-01-01 (a Friday) counts, because New Year's Day 2027 is not yet known
    assert date(2027, 1, 1) in d.counted
    assert d.due == date(2027, 1, 11)


def test_a_request_received_in_2027_is_provisional():
    d = due(date(2027, 3, 1))
    assert d.calendar_sources == {2027: CalendarSource.weekends_only}
    assert d.provisional
    assert all(day.weekday() < 5 for day in d.counted)
    assert d.due == date(2027, 3, 29)


def test_admin_overrides_for_an_announced_2027_are_honoured():
    calendar = WorkCalendar.with_overrides(
        [
            DayOverride(date(2027, 2, 3), workday=False, note="春节"),  # Wednesday off
            DayOverride(date(2027, 2, 4), workday=False, note="春节"),  # Thursday off
            DayOverride(date(2027, 2, 6), workday=True, note="春节调休"),  # Saturday worked
        ],
        announced_years=[2027],
    )
    d = compute_due(calendar, date(2027, 2, 1), RuleSet.rules_2019, today=date(2027, 2, 1))
    assert d.calendar_sources == {2027: CalendarSource.admin}
    assert not d.provisional
    holidays = [(s.day, s.note) for s in d.skipped if s.kind == "holiday"]
    assert holidays == [(date(2027, 2, 3), "春节"), (date(2027, 2, 4), "春节")]
    assert d.adjusted_workdays == [date(2027, 2, 6)]
    assert d.counted[:4] == [date(2027, 2, 2), date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 8)]
    assert len(d.counted) == 20
    # two weekdays lost, one Saturday gained: one day later than the weekends-only reckoning
    assert compute_due(CAL, date(2027, 2, 1), RuleSet.rules_2019, today=date(2027, 2, 1)).due == date(2027, 3, 1)
    assert d.due == date(2027, 3, 2)


def test_announcing_2027_fixes_the_new_year_crossing():
    calendar = WorkCalendar.with_overrides([DayOverride(date(2027, 1, 1), workday=False, note="元旦")], announced_years=[2027])
    d = compute_due(calendar, date(2026, 12, 14), RuleSet.rules_2019, today=TODAY)
    assert d.calendar_sources == {2026: CalendarSource.official, 2027: CalendarSource.admin}
    assert not d.provisional
    assert date(2027, 1, 1) not in d.counted
    assert d.due == date(2027, 1, 12)
