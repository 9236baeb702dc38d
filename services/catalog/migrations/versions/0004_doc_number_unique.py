"""文号: re-key existing documents with the NFKC normalisation, then one live document per 文号 and agency.

Existing keys were built without NFKC (full-width digits and ［］ stayed as written), so they are
recomputed first. Where existing data already holds duplicates the unique index cannot be built:
they are logged and the index is left out (the service refuses new duplicates all the same); a later
revision adds it once an administrator has withdrawn or renumbered them. A fresh database always gets it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 15:50:00
"""

import logging
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
LIVE = "doc_number_key IS NOT NULL AND status <> 'withdrawn' AND category_code <> 'policy_interpretation'"
# A copy, frozen here, of services/catalog/domain/search.py doc_number_key at this revision.
_DOC_NUMBER = re.compile(
    r"^\s*(?P<prefix>[\u3400-\u9fffA-Za-z]+?)\s*[〔\[(【〖{]\s*(?P<year>[0-9]{4})\s*[〕\])】〗}]\s*(?P<serial>[0-9]+)\s*号?\s*$"
)


def _key(value):
    if not value:
        return None
    m = _DOC_NUMBER.match(unicodedata.normalize("NFKC", value))
    return f"{m['prefix']}〔{m['year']}〕{int(m['serial'])}号" if m else None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, doc_number, doc_number_key FROM documents WHERE doc_number IS NOT NULL")).all()
    for id_, number, old in rows:
        if (new := _key(number)) != old:
            bind.execute(sa.text("UPDATE documents SET doc_number_key = :k WHERE id = :i"), {"k": new, "i": id_})
    duplicates = bind.execute(
        sa.text(
            f"SELECT agency_id, doc_number_key, COUNT(*) FROM documents WHERE {LIVE} GROUP BY agency_id, doc_number_key HAVING COUNT(*) > 1"
        )
    ).all()
    if duplicates:
        for agency_id, key, n in duplicates:
            log.warning("文号重复，未建唯一索引：机关 %s 文号 %s 共 %d 条", agency_id, key, n)
        return
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            "uq_documents_agency_doc_number",
            ["agency_id", "doc_number_key"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    bind = op.get_bind()
    if "uq_documents_agency_doc_number" in {ix["name"] for ix in sa.inspect(bind).get_indexes("documents")}:
        with op.batch_alter_table("documents", schema=None) as batch_op:
            batch_op.drop_index("uq_documents_agency_doc_number")
