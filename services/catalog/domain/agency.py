"""Agency rules (pure)."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    county_government = "county_government"  # 县（区）人民政府
    department = "department"  # 政府工作部门
    township = "township"  # 乡镇人民政府、街道办事处
    other = "other"  # 其他（如派出机构、事业单位）
