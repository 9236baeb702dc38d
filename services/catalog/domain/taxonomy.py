"""The seeded taxonomy of county catalogs, and what the annual report counts each as.

Two trees: 信息类别 (genre: what kind of document it is) and 主题分类 (topic: what it is
about; the key livelihood areas the State Council names for county disclosure). Admins add
more through the API; the seed below is what migration 0002 writes.
"""

from __future__ import annotations

# (code, name, parent, report_class)
SEED_CATEGORIES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("regulatory", "法规文件", None, None),
    ("regulation", "规章", "regulatory", "regulation"),
    ("normative_document", "行政规范性文件", "regulatory", "normative_document"),
    ("other_document", "其他文件", "regulatory", "other"),
    ("plan", "规划计划", None, "other"),
    ("finance", "财政信息", None, "other"),
    ("budget", "预决算", "finance", "other"),
    ("three_public_expenses", "三公经费", "finance", "other"),
    ("personnel", "人事信息", None, "other"),
    ("administrative_license", "行政许可", None, "administrative_license"),
    ("administrative_penalty", "行政处罚", None, "administrative_penalty"),
    ("administrative_coercion", "行政强制", None, "administrative_coercion"),
    ("administrative_fee", "行政事业性收费", None, "administrative_fee"),
    ("policy_interpretation", "政策解读", None, "other"),
    ("work_update", "工作动态", None, "other"),
)

SEED_TOPICS: tuple[tuple[str, str], ...] = (
    ("social_assistance", "低保与救助"),
    ("employment", "就业"),
    ("housing_security", "住房保障"),
    ("environment", "环境保护"),
    ("education_health", "教育医疗"),
    ("rural_revitalization", "扶贫/乡村振兴"),
    ("major_projects", "重大建设项目"),
    ("public_resources", "公共资源交易"),
    ("food_drug_safety", "食品药品安全"),
    ("work_safety", "安全生产"),
)

INTERPRETATION = "policy_interpretation"
