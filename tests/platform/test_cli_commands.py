"""Service-specific subcommands of the shared command line."""

from __future__ import annotations

import pytest

from services.audit.app import build_spec
from shared.cli import main


def test_a_service_command_gets_the_spec_and_sets_the_exit_code():
    seen = []

    async def check(spec):
        """检查"""
        seen.append(spec.name)
        return 3

    assert main(build_spec, commands={"check": check}, argv=["check"]) == 3
    assert seen == ["audit"]


def test_a_command_returning_none_exits_0():
    async def noop(spec):
        return None

    assert main(build_spec, commands={"noop": noop}, argv=["noop"]) == 0


def test_built_in_commands_cannot_be_replaced():
    async def serve(spec):
        return 0

    with pytest.raises(ValueError):
        main(build_spec, commands={"serve": serve}, argv=["serve"])
