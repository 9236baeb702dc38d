"""The annual report's tables as the official template lays them out: XLSX for editing, HTML to publish.

Both take the verified tables of `annual_tables` (never recompute a number) plus a title;
the HTML page also charts requests received and answered per month, and is self-contained
(inline CSS and an inline SVG drawn here), so a county site can publish it as is.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from html import escape
from typing import Any

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

_CSS = """
body{font-family:"SimSun","Songti SC","Noto Serif CJK SC",serif;margin:2em auto;max-width:1100px;color:#111;padding:0 1em}
h1{text-align:center;font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.95em}
th,td{border:1px solid #000;padding:.35em .5em}th{background:#f2f2f2;font-weight:bold;text-align:center}
td.n{text-align:center;font-variant-numeric:tabular-nums}td.l{text-align:left}td.c{text-align:center}
.chart{margin:1em 0}.chart text{font-family:sans-serif;font-size:12px}
.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}
footer{margin-top:2em;font-size:.85em;color:#555}
""".strip()
RECEIVED_COLOUR, ANSWERED_COLOUR = "#c0392b", "#2c6fbb"


def _table_three_html(three: Mapping[str, Any]) -> str:
    n_results = sum(1 for key, _ in ROWS if _row_kind(key) != "top" and key in three)
    head = (
        f'<tr><th colspan="3" rowspan="3">{escape(CHECK_NOTE)}</th><th colspan="7">{APPLICANT_HEADER}</th></tr>'
        f'<tr><th rowspan="2">{COLUMN_LABELS["natural_person"]}</th><th colspan="5">{ORGANISATION_HEADER}</th>'
        f'<th rowspan="2">{COLUMN_LABELS["total"]}</th></tr>'
        "<tr>" + "".join(f"<th>{COLUMN_LABELS[c]}</th>" for c in ORGANISATION_COLUMNS) + "</tr>"
    )
    body, first_result = [], True
    for key, label in ROWS:
        kind = _row_kind(key)
        cells = "".join(f'<td class="n">{three[key][c]}</td>' for c in COLUMNS)
        if kind == "top":
            lead = f'<td class="l" colspan="3">{escape(label)}</td>'
        else:
            lead = f'<td class="c" rowspan="{n_results}">{RESULTS_LABEL}</td>' if first_result else ""
            first_result = False
            lead += (
                f'<td class="l" colspan="2">{escape(label)}</td>' if kind == "category" else f'<td></td><td class="l">{escape(label)}</td>'
            )
        body.append(f"<tr>{lead}{cells}</tr>")
    return f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


def _table_two_html(two: Mapping[str, Any]) -> str:
    parts = []
    for header, rows in table_two_blocks(two):
        head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"
        body = "".join("<tr>" + f"<td>{escape(str(r[0]))}</td>" + "".join(f'<td class="n">{v}</td>' for v in r[1:]) + "</tr>" for r in rows)
        parts.append(f"<table><thead>{head}</thead><tbody>{body}</tbody></table>")
    return "".join(parts)


def _table_four_html(four: Mapping[str, Any]) -> str:
    head = (
        f'<tr><th colspan="5" rowspan="2">{REMEDY_HEADERS["reconsideration"]}</th><th colspan="10">{LITIGATION_HEADER}</th></tr>'
        f'<tr><th colspan="5">{REMEDY_HEADERS["litigation_direct"]}</th>'
        f'<th colspan="5">{REMEDY_HEADERS["litigation_after_reconsideration"]}</th></tr>'
        "<tr>" + "".join(f"<th>{label}</th>" for _ in REMEDY_GROUPS for _, label in REMEDY_COLUMNS) + "</tr>"
    )
    cells = "".join(f'<td class="n">{four[kind][c]}</td>' for kind, _ in REMEDY_GROUPS for c, _ in REMEDY_COLUMNS)
    return f"<table><thead>{head}</thead><tbody><tr>{cells}</tr></tbody></table>"


def monthly_chart_svg(received: list[int], answered: list[int], year: int) -> str:
    """A grouped bar chart, twelve months, two bars each; plain SVG, no script."""
    width, height, left, bottom, top = 860, 300, 48, 40, 30
    plot_w, plot_h = width - left - 16, height - bottom - top
    peak = max([*received, *answered, 1])
    step = max(1, -(-peak // 5))  # five gridlines, round numbers
    scale_max = step * 5
    group = plot_w / 12
    bar = group * 0.35
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{year}年每月收到和办结的政府信息公开申请数量">',
        f"<title>{year}年每月收到和办结的政府信息公开申请数量</title>",
    ]
    for i in range(6):
        y = top + plot_h - plot_h * i / 5
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 16}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{step * i}</text>')
    for m in range(12):
        x0 = left + group * m + group * 0.15
        for j, (values, colour, what) in enumerate(((received, RECEIVED_COLOUR, "收到"), (answered, ANSWERED_COLOUR, "办结"))):
            h = plot_h * values[m] / scale_max
            x = x0 + j * bar
            y = top + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{m + 1}月{what} {values[m]} 件</title></rect>"
            )
            if values[m]:
                parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{values[m]}</text>')
        parts.append(f'<text x="{left + group * m + group / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle">{m + 1}月</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 16}" y2="{top + plot_h}" stroke="#000"/>')
    parts.append("</svg>")
    return "".join(parts)


def _part_six_html(fees: Mapping[str, Any] | None) -> str:
    """六、其他需要报告的事项: the 信息处理费 collected (国办函〔2020〕109号)."""
    if fees is None:
        return ""
    text = (
        f"本年度依据《政府信息公开信息处理费管理办法》收取信息处理费 {fees['payments']} 笔，共计 {fees['total_yuan']} 元。"
        if fees["payments"]
        else "本年度未收取信息处理费。"
    )
    return f"<h2>六、其他需要报告的事项</h2><p>{text}</p>"


def as_html(tables: Mapping[str, Any], title: str, year: int, monthly: dict[str, list[int]], generated_on: str | None = None) -> str:
    chart = monthly_chart_svg(monthly["received"], monthly["answered"], year)
    legend = (
        f'<div class="legend"><span style="background:{RECEIVED_COLOUR}"></span>本年收到申请'
        f'<span style="background:{ANSWERED_COLOUR}"></span>本年办结申请</div>'
    )
    footer = f"<footer>表格由系统按事件记录生成，已通过模板要求的全部勾稽关系校验{('；生成日期 ' + escape(generated_on)) if generated_on else ''}。</footer>"
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<h2>{TABLE_TWO_TITLE}</h2>{_table_two_html(tables['two'])}"
        f"<h2>{TABLE_THREE_TITLE}</h2>{_table_three_html(tables['three'])}"
        f"<h2>{TABLE_FOUR_TITLE}</h2>{_table_four_html(tables['four'])}"
        f'<h2>{year}年每月收到和办结的申请</h2><div class="chart">{legend}{chart}</div>'
        f"{_part_six_html(tables.get('fees'))}"
        f"{footer}</body></html>"
    )
