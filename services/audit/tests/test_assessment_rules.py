"""The 百分制 assessment (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.audit.domain.assessment import AgencyStats, AssessmentRules, assess, grade_of


def test_a_perfect_agency_scores_100_and_is_excellent():
    result = assess(
        AgencyStats(answered=50, answered_on_time=50, overdue_open=0, corrected_remedies=0, documents_published=10, documents_on_time=10)
    )
    assert result.score == 100 and result.grade == "优秀" and result.deductions == []


def test_each_lost_point_is_explained_by_its_item():
    result = assess(AgencyStats(answered=40, answered_on_time=30, overdue_open=2, corrected_remedies=1))
    lost = {i.key: i.lost for i in result.deductions}
    assert lost == {"on_time": 10.0, "overdue": 10, "corrected": 10}
    assert result.score == 70 and result.grade == "合格"
    assert "10 件超期" in next(i.reason for i in result.items if i.key == "on_time")


def test_penalties_stop_at_zero_for_their_item():
    result = assess(AgencyStats(answered=1, answered_on_time=0, overdue_open=9, corrected_remedies=5))
    assert result.score == 20 and result.grade == "不合格"


@pytest.mark.parametrize(("score", "grade"), [(95, "优秀"), (94.99, "良好"), (85, "良好"), (84.9, "合格"), (60, "合格"), (59.99, "不合格")])
def test_grade_boundaries_follow_the_seeds(score, grade):
    assert grade_of(score) == grade


def test_weights_must_add_up_to_100():
    with pytest.raises(ValueError):
        assess(AgencyStats(1, 1, 0, 0), AssessmentRules(on_time_weight=50))


@given(answered=st.integers(0, 500), late=st.integers(0, 500), overdue=st.integers(0, 20), corrected=st.integers(0, 10))
def test_score_is_between_0_and_100_and_equals_the_sum_of_its_items(answered, late, overdue, corrected):
    late = min(late, answered)
    result = assess(AgencyStats(answered, answered - late, overdue, corrected))
    assert 0 <= result.score <= 100
    assert result.score == pytest.approx(sum(i.points for i in result.items))
