"""The fault suite (issue #16): each scenario adds a row; the table is printed at the end of the run."""

from __future__ import annotations

import pytest

from shared.testing import Broker
from tests.faults.harness import ROWS, Rig
from tests.process_support import require_postgres

COLUMNS = ("scenario", "sent", "stored", "audited", "lost", "doubled", "recovered in (s)")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not ROWS:
        return
    cells = [(r.scenario, str(r.sent), str(r.stored), str(r.audited), str(r.lost), str(r.doubled), f"{r.recovered_in:.1f}") for r in ROWS]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    line = lambda values: "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=False)))  # noqa: E731
    terminalreporter.write_sep("=", "fault suite: sent / stored / lost / doubled per scenario")
    terminalreporter.write_line(line(COLUMNS))
    terminalreporter.write_line(line(["-" * w for w in widths]))
    for values in cells:
        terminalreporter.write_line(line(values))
    notes = [(r.scenario, r.note) for r in ROWS if r.note]
    for scenario, note in notes:
        terminalreporter.write_line(f"  {scenario}: {note}")


@pytest.fixture
async def rig(request, broker, databases, processes, tmp_path, topic_prefix):
    """A scenario on the session broker; `own_broker` gives one of its own (for restarting it)."""
    require_postgres("the fault suite runs services as processes sharing PostgreSQL databases")
    name = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name.removeprefix("test_")
    return Rig(name, broker=broker, databases=databases, processes=processes, tmp_path=tmp_path, prefix=topic_prefix)


@pytest.fixture
def own_broker():
    b = Broker().start()
    yield b
    b.stop()
