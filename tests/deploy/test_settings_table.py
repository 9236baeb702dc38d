"""README.md's settings table agrees with the settings classes: every name, every default."""

from __future__ import annotations

from shared.settings_doc import COMMON, Row, ServiceSettings, parse_table, replace_table, rows, settings_classes, table
from tests.deploy.common import REPO, known_settings

FIX = "（运行 python -m shared.settings_doc --write 重新生成）"


def documented() -> list[Row]:
    return parse_table((REPO / "README.md").read_text(encoding="utf-8"))


def test_readme_table_has_every_setting_with_its_default():
    readme = {(r.name, r.default) for r in documented()}
    code = {(r.name, r.default) for r in rows()}
    assert not code - readme, f"README 缺少或默认值过时：{sorted(code - readme)}{FIX}"
    assert not readme - code, f"README 列出不存在的配置或旧默认值：{sorted(readme - code)}{FIX}"


def test_every_row_has_a_meaning():
    assert [r.name for r in documented() if not r.meaning] == []


def test_table_names_expand_to_exactly_the_environment_variables_read():
    prefixes = [str(cls.model_config["env_prefix"]) for cls in settings_classes().values()]
    names = set()
    for row in documented():
        if row.name.startswith(COMMON):
            names |= {p + row.name.removeprefix(COMMON) for p in prefixes}
        else:
            names.add(row.name)
    assert names == set(known_settings())


def test_a_changed_default_is_caught(monkeypatch):
    field = ServiceSettings.model_fields["outbox_batch_size"]
    monkeypatch.setattr(field, "default", 999)
    for cls in settings_classes().values():
        monkeypatch.setitem(cls.model_fields, "outbox_batch_size", field)
    assert ("*_OUTBOX_BATCH_SIZE", "999") in {(r.name, r.default) for r in rows()}
    assert ("*_OUTBOX_BATCH_SIZE", "999") not in {(r.name, r.default) for r in documented()}


def test_table_round_trips_through_the_readme_markers():
    generated = rows()
    rewritten = replace_table((REPO / "README.md").read_text(encoding="utf-8"), table(generated))
    assert parse_table(rewritten) == generated


def test_secret_defaults_are_shown_as_the_code_has_them():
    """A SecretStr default is public code (empty or a dev-only value): the table shows it, not pydantic's mask."""
    from services.identity.settings import DEV_KEY_ENCRYPTION_KEY

    defaults = {r.name: r.default for r in rows()}
    assert defaults["IDENTITY_KEY_ENCRYPTION_KEY"] == DEV_KEY_ENCRYPTION_KEY
    assert defaults["IDENTITY_WECHAT_SECRET"] == "（空）"
    assert not [name for name, default in defaults.items() if "**********" in default]
