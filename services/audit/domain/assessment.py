"""百分制考核: a score out of 100 per agency from timeliness and completeness, with what cost points (pure).

Grades follow the seeds: 优秀 ≥ 95, 良好 85–94, 合格 60–84, 不合格 < 60. The items and
their weights are configuration (an assessment office sets its own rules each year); the
defaults below weigh what the regulation makes binding: answering on time (Art. 33), not
leaving requests overdue, not being corrected on review or in court (Art. 51), and
publishing proactively within 20 working days (Art. 26).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AssessmentRules:
    on_time_weight: int = 40  # × share of answers given on time
    overdue_weight: int = 20
    overdue_penalty: int = 5  # per request open past its due date
    corrected_weight: int = 20
    corrected_penalty: int = 10  # per reconsideration or lawsuit that corrected the agency
    proactive_weight: int = 20  # × share of documents published within 20 working days

    @property
    def total(self) -> int:
        return self.on_time_weight + self.overdue_weight + self.corrected_weight + self.proactive_weight


@dataclass(frozen=True)
class AgencyStats:
    answered: int
    answered_on_time: int
    overdue_open: int
    corrected_remedies: int
    documents_published: int | None = None  # None: no proactive-disclosure data yet
    documents_on_time: int | None = None


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    max_points: float
    points: float
    reason: str

    @property
    def lost(self) -> float:
        return round(self.max_points - self.points, 2)


@dataclass(frozen=True)
class Assessment:
    score: float
    grade: str
    items: list[Item] = field(default_factory=list)

    @property
    def deductions(self) -> list[Item]:
        return [i for i in self.items if i.lost > 0]


def grade_of(score: float) -> str:
    if score >= 95:
        return "优秀"
    if score >= 85:
        return "良好"
    if score >= 60:
        return "合格"
    return "不合格"


def assess(stats: AgencyStats, rules: AssessmentRules = AssessmentRules()) -> Assessment:
    """Score the agency; every item says why it lost what it lost."""
    if rules.total != 100:
        raise ValueError(f"assessment weights must add up to 100, not {rules.total}")
    items = []
    if stats.answered:
        share = stats.answered_on_time / stats.answered
        items.append(
            Item(
                "on_time",
                "依申请公开按时答复",
                rules.on_time_weight,
                round(rules.on_time_weight * share, 2),
                f"{stats.answered} 件答复中 {stats.answered - stats.answered_on_time} 件超期",
            )
        )
    else:
        items.append(Item("on_time", "依申请公开按时答复", rules.on_time_weight, rules.on_time_weight, "本期无答复，不扣分"))
    overdue_points = max(0, rules.overdue_weight - rules.overdue_penalty * stats.overdue_open)
    items.append(Item("overdue", "无逾期未答复申请", rules.overdue_weight, overdue_points, f"逾期未答复 {stats.overdue_open} 件"))
    corrected_points = max(0, rules.corrected_weight - rules.corrected_penalty * stats.corrected_remedies)
    items.append(
        Item("corrected", "行政复议、诉讼未被纠错", rules.corrected_weight, corrected_points, f"被纠错 {stats.corrected_remedies} 件")
    )
    if stats.documents_published:
        share = (stats.documents_on_time or 0) / stats.documents_published
        items.append(
            Item(
                "proactive",
                "主动公开在20个工作日内发布",
                rules.proactive_weight,
                round(rules.proactive_weight * share, 2),
                f"{stats.documents_published} 件中 {stats.documents_published - (stats.documents_on_time or 0)} 件超期发布",
            )
        )
    else:
        items.append(
            Item("proactive", "主动公开在20个工作日内发布", rules.proactive_weight, rules.proactive_weight, "暂无主动公开数据，不扣分")
        )
    score = round(sum(i.points for i in items), 2)
    return Assessment(score=score, grade=grade_of(score), items=items)
