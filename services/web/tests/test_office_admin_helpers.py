"""The administration and supervision screens' pure helpers: the agency choices, the roles a keeper may grant, memberships from a form."""

from __future__ import annotations

from services.web.office.admin import _memberships, grantable_roles
from services.web.office.scope import agency_options, default_agency
from services.web.office.supervision import _num
from services.web.session import Session

AGENCIES = [
    {"id": "edu", "name": "教育局", "kind": "department", "parent_id": "county"},
    {"id": "town", "name": "城关镇", "kind": "township", "parent_id": "county"},
    {"id": "county", "name": "县人民政府", "kind": "county_government", "parent_id": None},
    {"id": "school", "name": "教育局直属学校", "kind": "other", "parent_id": "edu"},
]


def test_agency_choices_read_as_the_tree_indented_by_depth():
    assert agency_options(AGENCIES) == [
        ("county", "县人民政府"),
        ("edu", "　教育局"),
        ("school", "　　教育局直属学校"),
        ("town", "　城关镇"),
    ]


def test_the_default_agency_is_the_officers_own_else_the_root():
    assert default_agency(AGENCIES, Session(agency_id="edu")) == "edu"
    assert default_agency(AGENCIES, Session(agency_id="elsewhere")) == "county"
    assert default_agency([], Session()) is None


def test_a_head_is_never_offered_the_admin_role():
    assert "admin" not in grantable_roles(Session(roles=["head"]))
    assert set(grantable_roles(Session(roles=["admin"]))) == {"registrar", "handler", "reviewer", "head", "supervisor", "admin"}


def test_memberships_from_the_form_rows():
    rows = [
        {"agency_id": "edu", "roles": ["handler", "reviewer"]},
        {"agency_id": "town", "roles": []},  # every role unticked: no longer serving there
        {"agency_id": "", "roles": []},  # a blank row
    ]
    assert _memberships(rows) == ([{"agency_id": "edu", "roles": ["handler", "reviewer"]}], {})
    found, errors = _memberships([{"agency_id": "", "roles": ["handler"]}])
    assert found == [] and errors == {"agency_0": "请选择授予这些角色的机关"}
    found, errors = _memberships([{"agency_id": "edu", "roles": ["handler"]}, {"agency_id": "edu", "roles": ["head"]}])
    assert errors == {"agency_1": "同一机关只能出现一次，请合并为一项"}
    assert _memberships([{"agency_id": "edu", "roles": []}])[1] == {"agency_0": "请至少在一个机关授予一个角色；不再任职请停用该工作人员"}


def test_points_read_as_people_write_them():
    assert (_num(20.0), _num(37.5), _num(3), _num("优秀")) == (20, 37.5, 3, "优秀")
