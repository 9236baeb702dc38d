"""政府信息公开工作年度报告: tables 二, 三 and 四 from document, request and remedy facts, with the template's cross-checks (pure).

Counting rules (annual-report.md): a request counts in 一 in the year it was received, in
三 in the year its answer (or closure) was made, and in 四 if still open on 31 December;
open ones appear in the next year's 二. A request reopened after a "corrected" remedy is
not new: only its first answer counts in 三 (the law's intent — one request, one row — the
template is silent on re-answers). Remedies count in the year they were filed, with the
outcome known on 31 December (尚未审结 otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

COLUMNS = ["natural_person", "commercial", "research", "public_interest", "legal_services", "other", "total"]
COLUMN_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_services": "法律服务机构",
    "other": "其他",
    "total": "总计",
}

# (row key, label, category, reason) in the template's order; category/reason select the answers a row counts.
RESULT_ROWS: list[tuple[str, str, str | None, str | None]] = [
    ("disclosed", "（一）予以公开", "disclosed", None),
    ("partially_disclosed", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_disclosed", None),
    ("not_disclosed", "（三）不予公开", "not_disclosed", None),
    ("not_disclosed.state_secret", "1.属于国家秘密", "not_disclosed", "state_secret"),
    ("not_disclosed.prohibited_by_law", "2.其他法律行政法规禁止公开", "not_disclosed", "prohibited_by_law"),
    ("not_disclosed.security_stability", "3.危及“三安全一稳定”", "not_disclosed", "security_stability"),
    ("not_disclosed.third_party_rights", "4.保护第三方合法权益", "not_disclosed", "third_party_rights"),
    ("not_disclosed.internal_affairs", "5.属于三类内部事务信息", "not_disclosed", "internal_affairs"),
    ("not_disclosed.process_information", "6.属于四类过程性信息", "not_disclosed", "process_information"),
    ("not_disclosed.enforcement_file", "7.属于行政执法案卷", "not_disclosed", "enforcement_file"),
    ("not_disclosed.administrative_query", "8.属于行政查询事项", "not_disclosed", "administrative_query"),
    ("cannot_provide", "（四）无法提供", "cannot_provide", None),
    ("cannot_provide.not_held", "1.本机关不掌握相关政府信息", "cannot_provide", "not_held"),
    ("cannot_provide.needs_creation", "2.没有现成信息需要另行制作", "cannot_provide", "needs_creation"),
    ("cannot_provide.unclear_after_correction", "3.补正后申请内容仍不明确", "cannot_provide", "unclear_after_correction"),
    ("not_handled", "（五）不予处理", "not_handled", None),
    ("not_handled.petition_complaint", "1.信访举报投诉类申请", "not_handled", "petition_complaint"),
    ("not_handled.repeated", "2.重复申请", "not_handled", "repeated"),
    ("not_handled.publication", "3.要求提供公开出版物", "not_handled", "publication"),
    ("not_handled.excessive", "4.无正当理由大量反复申请", "not_handled", "excessive"),
    ("not_handled.confirm_or_reissue", "5.要求行政机关确认或重新出具已获取信息", "not_handled", "confirm_or_reissue"),
    ("other", "（六）其他处理", "other", None),
    ("other.no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other", "no_correction"),
    ("other.fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other", "fee_unpaid"),
    ("other.other", "3.其他", "other", "other"),
    ("total", "（七）总计", None, None),
]
ROWS: list[tuple[str, str]] = [
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_in", "二、上年结转政府信息公开申请数量"),
    *[(k, label) for k, label, _, _ in RESULT_ROWS],
    ("carried_out", "四、结转下年度继续办理"),
]
SUBTOTALS = {"not_disclosed": 8, "cannot_provide": 3, "not_handled": 5, "other": 3}
CATEGORY_ROWS = ["disclosed", "partially_disclosed", "not_disclosed", "cannot_provide", "not_handled", "other"]

REMEDY_GROUPS = [
    ("reconsideration", "行政复议"),
    ("litigation_direct", "行政诉讼（未经复议直接起诉）"),
    ("litigation_after_reconsideration", "行政诉讼（复议后起诉）"),
]
REMEDY_COLUMNS = [("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"), ("pending", "尚未审结"), ("total", "总计")]


@dataclass(frozen=True)
class Fact:
    """What the report needs of one request."""

    applicant_type: str
    organisation_type: str | None
    received_on: date | None
    finished_on: date | None
    category: str | None
    reason: str | None


@dataclass(frozen=True)
class RemedyRecord:
    kind: str
    filed_on: date
    outcome: str
    decided_on: date | None


@dataclass(frozen=True)
class DocumentRecord:
    """What table 二 needs of one published document."""

    category: str
    made_on: date
    ended: str | None  # repealed | expired
    ended_on: date | None
    decision_count: int = 1
    fee_amount_yuan: Decimal | None = None


# Table 二's rows: (key, label) per block, as the template lays them out.
RULE_ROWS = [("regulation", "规章"), ("normative_document", "行政规范性文件")]
RULE_COLUMNS = [("made", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")]
DECISION_ROWS = [
    ("administrative_license", "第二十条第（五）项", "行政许可"),
    ("administrative_penalty", "第二十条第（六）项", "行政处罚"),
    ("administrative_coercion", "第二十条第（六）项", "行政强制"),
]
FEE_ROW = ("administrative_fee", "第二十条第（八）项", "行政事业性收费", "本年收费金额（单位：万元）")


def table_two(documents: Iterable[DocumentRecord], year: int) -> dict[str, dict[str, Any]]:
    """Table 二: rules and normative documents made, repealed and in force; decisions; fees (万元)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    table: dict[str, dict[str, Any]] = {key: {c: 0 for c, _ in RULE_COLUMNS} for key, _ in RULE_ROWS}
    table.update({key: {"decisions": 0} for key, _, _ in DECISION_ROWS})
    fees = Decimal(0)
    for d in documents:
        if d.category in table and d.category in dict(RULE_ROWS):
            row = table[d.category]
            if start <= d.made_on <= end:
                row["made"] += 1
            if d.ended == "repealed" and d.ended_on and start <= d.ended_on <= end:
                row["repealed"] += 1
            if d.made_on <= end and not (d.ended and d.ended_on and d.ended_on <= end):
                row["in_force"] += 1
        elif d.category in table and start <= d.made_on <= end:
            table[d.category]["decisions"] += d.decision_count
        elif d.category == FEE_ROW[0] and start <= d.made_on <= end and d.fee_amount_yuan:
            fees += d.fee_amount_yuan
    table[FEE_ROW[0]] = {"amount_wan_yuan": str((fees / 10000).quantize(Decimal("0.0001")))}
    return table


class ReportCheckFailed(Exception):
    """A cross-check of the template failed: the tables must not be published."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures


def column_of(fact: Fact) -> str:
    return "natural_person" if fact.applicant_type == "natural_person" else (fact.organisation_type or "other")


def table_three(facts: Iterable[Fact], year: int) -> dict[str, dict[str, int]]:
    """Table 三, every row and column, totals included."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    table = {key: {c: 0 for c in COLUMNS} for key, _ in ROWS}

    def add(row: str, column: str) -> None:
        table[row][column] += 1
        table[row]["total"] += 1

    for f in facts:
        if f.received_on is None or f.received_on > end:
            continue  # never received (a letter withdrawn before confirmation), or received later
        if f.finished_on is not None and f.finished_on < start:
            continue  # finished in an earlier year
        column = column_of(f)
        add("new" if f.received_on >= start else "carried_in", column)
        if f.finished_on is not None and f.finished_on <= end:
            assert f.category is not None, "a finished request has its answer's category (set by the same event)"
            add(f.category, column)
            if f.reason and f.category in SUBTOTALS:
                add(f"{f.category}.{f.reason}", column)
            add("total", column)
        else:
            add("carried_out", column)
    return table


def check_table_three(table: dict[str, dict[str, int]]) -> list[str]:
    """Every cross-check the template and annual-report.md state; an empty list means it holds."""
    failures = []
    for c in COLUMNS:
        if table["new"][c] + table["carried_in"][c] != table["total"][c] + table["carried_out"][c]:
            failures.append(f"一+二≠三(七)+四（{COLUMN_LABELS[c]}）")
        for category, count in SUBTOTALS.items():
            parts = sum(table[k][c] for k, _, cat, reason in RESULT_ROWS if cat == category and reason)
            if parts != table[category][c]:
                failures.append(f"{category} 的 {count} 项之和不等于小计（{COLUMN_LABELS[c]}）")
        if sum(table[k][c] for k in CATEGORY_ROWS) != table["total"][c]:
            failures.append(f"（七）总计≠（一）至（六）之和（{COLUMN_LABELS[c]}）")
    for key, _ in ROWS:
        if sum(table[key][c] for c in COLUMNS if c != "total") != table[key]["total"]:
            failures.append(f"“{key}”行总计≠各类申请人之和")
    return failures


def table_four(remedies: Iterable[RemedyRecord], year: int) -> dict[str, dict[str, int]]:
    """Table 四: remedies filed in the year, by kind and by outcome as of 31 December."""
    end = date(year, 12, 31)
    table = {kind: {c: 0 for c, _ in REMEDY_COLUMNS} for kind, _ in REMEDY_GROUPS}
    for r in remedies:
        if r.filed_on.year != year or r.kind not in table:
            continue
        outcome = r.outcome if r.decided_on is not None and r.decided_on <= end and r.outcome != "pending" else "pending"
        table[r.kind][outcome] += 1
        table[r.kind]["total"] += 1
    return table


def check_table_four(table: dict[str, dict[str, int]]) -> list[str]:
    return [
        f"{label} 总计≠各结果之和"
        for kind, label in REMEDY_GROUPS
        if sum(table[kind][c] for c, _ in REMEDY_COLUMNS if c != "total") != table[kind]["total"]
    ]


class AnnualTables(TypedDict):
    """The report's computed tables: 二 (rules, decisions, fees), 三 (requests) and 四 (remedies)."""

    two: dict[str, dict[str, Any]]
    three: dict[str, dict[str, int]]
    four: dict[str, dict[str, int]]


def annual_tables(
    facts: Iterable[Fact], remedies: Iterable[RemedyRecord], year: int, documents: Iterable[DocumentRecord] = ()
) -> AnnualTables:
    """Tables 二, 三 and 四, verified; raises ReportCheckFailed rather than return a wrong table."""
    three, four = table_three(facts, year), table_four(remedies, year)
    if failures := check_table_three(three) + check_table_four(four):
        raise ReportCheckFailed(failures)
    return {"two": table_two(documents, year), "three": three, "four": four}
