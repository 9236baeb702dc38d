"""The annual report's tables as the official template lays them out: XLSX for editing, HTML to publish.

Both take the verified tables of `annual_tables` (never recompute a number) plus a title;
the HTML page (templates/annual_report.html) also charts requests received and answered per
month, and is self-contained (inline CSS and an inline SVG), so a county site can publish it as is.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.audit.domain.annual_report import (
    COLUMN_LABELS,
    COLUMNS,
    DECISION_ROWS,
    FEE_ROW,
    REMEDY_COLUMNS,
    REMEDY_GROUPS,
    ROWS,
    RULE_COLUMNS,
    RULE_ROWS,
)

TABLE_TWO_TITLE = "二、主动公开政府信息情况"
TABLE_THREE_TITLE = "三、收到和处理政府信息公开申请情况"
TABLE_FOUR_TITLE = "四、政府信息公开行政复议、行政诉讼情况"
CHECK_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEADER = "申请人情况"
ORGANISATION_HEADER = "法人或其他组织"
ORGANISATION_COLUMNS = ["commercial", "research", "public_interest", "legal_services", "other"]
RESULTS_LABEL = "三、本年度办理结果"
LITIGATION_HEADER = "行政诉讼"
REMEDY_HEADERS = {"reconsideration": "行政复议", "litigation_direct": "未经复议直接起诉", "litigation_after_reconsideration": "复议后起诉"}


def report_title(agency_name: str | None, year: int, subtree: bool) -> str:
    name = agency_name or ""
    return f"{name}{'（含下级机关）' if subtree else ''}{year}年政府信息公开工作年度报告"


def table_two_blocks(two: Mapping[str, Any]) -> list[tuple[list[str], list[list[Any]]]]:
    """Table 二 as the template's four small tables: (header, rows) each."""
    blocks = [
        (
            ["第二十条第（一）项 信息内容", *(label for _, label in RULE_COLUMNS)],
            [[label, *(two[key][c] for c, _ in RULE_COLUMNS)] for key, label in RULE_ROWS],
        )
    ]
    for article in dict.fromkeys(article for _, article, _ in DECISION_ROWS):
        blocks.append(
            (
                [f"{article} 信息内容", "本年处理决定数量"],
                [[label, two[key]["decisions"]] for key, a, label in DECISION_ROWS if a == article],
            )
        )
    key, article, label, column = FEE_ROW
    blocks.append(([f"{article} 信息内容", column], [[label, two[key]["amount_wan_yuan"]]]))
    return blocks


def _row_kind(key: str) -> str:
    """'top' (一、二、四), 'category' (（一）…（七）) or 'item' (1.…)."""
    if key in ("new", "carried_in", "carried_out"):
        return "top"
    return "item" if "." in key else "category"


# -- XLSX --------------------------------------------------------------------------------------


def as_xlsx(tables: Mapping[str, Any], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.worksheet import Worksheet

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    bold = Font(bold=True)

    def box(ws: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
        for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col, max_col=last_col):
            for cell in row:
                cell.border = border

    wb = Workbook()
    # -- 表二 --
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook holds one worksheet
    ws.title = "二、主动公开情况"
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.cell(2, 1, TABLE_TWO_TITLE).font = bold
    ws.column_dimensions["A"].width = 30
    for letter in "BCD":
        ws.column_dimensions[letter].width = 16
    row = 3
    for header, rows in table_two_blocks(tables["two"]):
        for col, text in enumerate(header, start=1):
            cell = ws.cell(row, col, text)
            cell.font, cell.alignment = bold, centre
        for values in rows:
            row += 1
            for col, value in enumerate(values, start=1):
                ws.cell(row, col, value).alignment = left if col == 1 else centre
        box(ws, row - len(rows), row, 1, len(header))
        row += 2
    # -- 表三 --
    ws = wb.create_sheet("三、收到和处理申请情况")
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    ws.cell(2, 1, TABLE_THREE_TITLE).font = bold
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=10)
    # Header: A3:C5 the note; D3:J3 申请人情况; D4:D5 自然人; E4:I4 法人或其他组织; E5..I5 its five kinds; J4:J5 总计.
    ws.cell(3, 1, CHECK_NOTE)
    ws.merge_cells("A3:C5")
    ws.cell(3, 4, APPLICANT_HEADER)
    ws.merge_cells("D3:J3")
    ws.cell(4, 4, COLUMN_LABELS["natural_person"])
    ws.merge_cells("D4:D5")
    ws.cell(4, 5, ORGANISATION_HEADER)
    ws.merge_cells("E4:I4")
    for i, c in enumerate(ORGANISATION_COLUMNS):
        ws.cell(5, 5 + i, COLUMN_LABELS[c])
    ws.cell(4, 10, COLUMN_LABELS["total"])
    ws.merge_cells("J4:J5")
    row = 6
    results_first = None
    for key, label in ROWS:
        kind = _row_kind(key)
        if kind == "top":
            ws.cell(row, 1, label)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        else:
            results_first = results_first or row
            if kind == "category":
                ws.cell(row, 2, label)
                ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
            else:
                ws.cell(row, 3, label)
        for i, c in enumerate(COLUMNS):
            ws.cell(row, 4 + i, tables["three"][key][c])
        if key == "total":  # close the 三、本年度办理结果 block
            ws.cell(results_first, 1, RESULTS_LABEL)
            ws.merge_cells(start_row=results_first, start_column=1, end_row=row, end_column=1)
        row += 1
    box(ws, 3, row - 1, 1, 10)
    for r in ws.iter_rows(min_row=3, max_row=row - 1, min_col=1, max_col=10):
        for cell in r:
            cell.alignment = left if cell.column in (2, 3) and cell.row > 5 else centre
    for r in range(3, 6):
        for col in range(1, 11):
            ws.cell(r, col).font = bold
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 40
    for letter in "DEFGHIJ":
        ws.column_dimensions[letter].width = 11

    # -- 表四 --
    ws = wb.create_sheet("四、行政复议行政诉讼情况")
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=15)
    ws.cell(2, 1, TABLE_FOUR_TITLE).font = bold
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=15)
    # Row 3: 行政复议 (A3:E4) | 行政诉讼 (F3:O3); row 4: 未经复议直接起诉 (F4:J4) | 复议后起诉 (K4:O4); row 5: the outcomes.
    ws.cell(3, 1, REMEDY_HEADERS["reconsideration"])
    ws.merge_cells("A3:E4")
    ws.cell(3, 6, LITIGATION_HEADER)
    ws.merge_cells("F3:O3")
    ws.cell(4, 6, REMEDY_HEADERS["litigation_direct"])
    ws.merge_cells("F4:J4")
    ws.cell(4, 11, REMEDY_HEADERS["litigation_after_reconsideration"])
    ws.merge_cells("K4:O4")
    col = 1
    for kind, _ in REMEDY_GROUPS:
        for c, label in REMEDY_COLUMNS:
            ws.cell(5, col, label)
            ws.cell(6, col, tables["four"][kind][c])
            col += 1
    box(ws, 3, 6, 1, 15)
    for r in ws.iter_rows(min_row=3, max_row=6, min_col=1, max_col=15):
        for cell in r:
            cell.alignment = centre
            if cell.row < 6:
                cell.font = bold
    for i in range(1, 16):
        ws.column_dimensions[ws.cell(5, i).column_letter].width = 10

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- HTML --------------------------------------------------------------------------------------

# One template (templates/annual_report.html), autoescaped: an agency's name or any other text
# reaches the page as text, never as markup.
_PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
RECEIVED_COLOUR, ANSWERED_COLOUR = "#c0392b", "#2c6fbb"


@dataclass(frozen=True)
class TableThreeRow:
    kind: str  # top (一、二、四), category (（一）…（七）) or item (1.…)
    label: str
    values: list[int]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str
    value: int


@dataclass(frozen=True)
class Month:
    label: str  # 1月…12月
    label_x: float  # the centre of the label under the month's two bars
    bars: tuple[Bar, Bar]  # received, answered


@dataclass(frozen=True)
class MonthlyChart:
    """A grouped bar chart, twelve months, two bars each, laid out here and drawn by the template."""

    year: int
    width: int
    height: int
    left: int
    right: int
    axis_y: int
    label_y: int
    gridlines: list[tuple[float, int]]  # (y, value)
    months: list[Month]


def monthly_chart(received: list[int], answered: list[int], year: int) -> MonthlyChart:
    """Requests received and answered in each month as bars; five gridlines at round numbers."""
    width, height, left, bottom, top = 860, 300, 48, 40, 30
    plot_w, plot_h = width - left - 16, height - bottom - top
    peak = max([*received, *answered, 1])
    step = max(1, -(-peak // 5))  # five gridlines, round numbers
    scale_max = step * 5
    group = plot_w / 12
    bar = group * 0.35

    def bar_of(m: int, j: int, values: list[int], colour: str, what: str) -> Bar:
        h = plot_h * values[m] / scale_max
        x = left + group * m + group * 0.15 + j * bar
        return Bar(x, top + plot_h - h, bar, h, colour, f"{m + 1}月{what} {values[m]} 件", values[m])

    return MonthlyChart(
        year=year,
        width=width,
        height=height,
        left=left,
        right=width - 16,
        axis_y=top + plot_h,
        label_y=height - bottom + 18,
        gridlines=[(top + plot_h - plot_h * i / 5, step * i) for i in range(6)],
        months=[
            Month(
                f"{m + 1}月",
                left + group * m + group / 2,
                (bar_of(m, 0, received, RECEIVED_COLOUR, "收到"), bar_of(m, 1, answered, ANSWERED_COLOUR, "办结")),
            )
            for m in range(12)
        ],
    )


def _table_three_rows(three: Mapping[str, Any]) -> list[TableThreeRow]:
    return [TableThreeRow(_row_kind(key), label, [three[key][c] for c in COLUMNS]) for key, label in ROWS]


def as_html(tables: Mapping[str, Any], title: str, year: int, monthly: dict[str, list[int]], generated_on: str | None = None) -> str:
    """The report as one self-contained page (inline CSS and SVG, no script), ready to publish."""
    three = tables["three"]
    return _PAGES.get_template("annual_report.html").render(
        title=title,
        year=year,
        table_two_title=TABLE_TWO_TITLE,
        table_three_title=TABLE_THREE_TITLE,
        table_four_title=TABLE_FOUR_TITLE,
        table_two=table_two_blocks(tables["two"]),
        check_note=CHECK_NOTE,
        applicant_header=APPLICANT_HEADER,
        organisation_header=ORGANISATION_HEADER,
        results_label=RESULTS_LABEL,
        column_labels=COLUMN_LABELS,
        organisation_columns=ORGANISATION_COLUMNS,
        three_rows=_table_three_rows(three),
        # The 三、本年度办理结果 cell spans every row that is not 一、二 or 四.
        results_rows=sum(1 for key, _ in ROWS if _row_kind(key) != "top" and key in three),
        remedy_headers=REMEDY_HEADERS,
        litigation_header=LITIGATION_HEADER,
        remedy_labels=[label for _ in REMEDY_GROUPS for _, label in REMEDY_COLUMNS],
        remedy_values=[tables["four"][kind][c] for kind, _ in REMEDY_GROUPS for c, _ in REMEDY_COLUMNS],
        chart=monthly_chart(monthly["received"], monthly["answered"], year),
        received_colour=RECEIVED_COLOUR,
        answered_colour=ANSWERED_COLOUR,
        fees=tables.get("fees"),
        generated_on=generated_on,
    )
