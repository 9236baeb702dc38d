"""Search at county scale: a date- and sample-aware GIN index, permille sample buckets, covering probes.

Measured on 2.4 million documents (bench/catalog_search.py):
- Building the bitmap of a common word (240,000 matches) from the plain GIN index took ~45 ms
  before any row was read. With btree_gin, the same GIN index also holds the agency, the year,
  the day number and the sample bucket, and GIN's fast scan intersects the word with them
  without decoding the whole posting list (~3 ms). SQLite keeps its index from 0002.
- Sample buckets become permille (0..999), so a 0.2% sample answers the first probe.
- Filter-only probes and date-range counts read covering indexes (index-only scans) instead of
  one heap page per row.
- The title vector, which ranks every match, and the ids and codes every facet count reads stay
  in line (STORAGE MAIN) instead of going to TOAST.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:20:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SAMPLE_INCLUDE = ["published_on", "agency_id", "category_code", "topic_code", "validity"]
# The GIN index's keys: the words, then what a search may intersect them with inside the index
# (adapters/search.py writes its conditions on exactly these expressions).
SEARCH_KEYS = [
    "search_vector",
    "agency_id",
    "((EXTRACT(year FROM published_on))::integer)",
    "((published_on - '2000-01-01'::date))",
    "((sample_bucket)::integer)",
]
PUBLIC_INCLUDE = ["agency_id", "category_code", "topic_code", "validity", "sample_bucket"]
INLINE = ["id", "agency_id", "status", "category_code", "topic_code", "validity", "title_vector"]


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        # A trusted extension (PostgreSQL 13+): the database owner may create it, no superuser needed.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        # Kept in line: what every facet count and ranking reads per matching row. With the
        # 512-byte toast target alone, a larger row pushed even agency_id out to TOAST (measured).
        for column in INLINE:
            op.execute(f"ALTER TABLE documents ALTER COLUMN {column} SET STORAGE MAIN")
        op.execute("UPDATE documents SET sample_bucket = sample_bucket * 10 + floor(random() * 10)::int")
    else:
        op.execute("UPDATE documents SET sample_bucket = sample_bucket * 10 + abs(random()) % 10")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_sample_bucket")
        batch_op.create_index("ix_documents_sample", ["status", "sample_bucket"], unique=False, postgresql_include=SAMPLE_INCLUDE)
        batch_op.drop_index("ix_documents_public")
        batch_op.create_index("ix_documents_public", ["status", "published_on"], unique=False, postgresql_include=PUBLIC_INCLUDE)
    if pg:
        op.drop_index("ix_documents_search", table_name="documents", postgresql_using="gin")
        op.execute(f"CREATE INDEX ix_documents_search ON documents USING gin ({', '.join(SEARCH_KEYS)})")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute("DROP INDEX ix_documents_search")
        op.create_index("ix_documents_search", "documents", ["search_vector"], unique=False, postgresql_using="gin")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_sample")
        batch_op.create_index("ix_documents_sample_bucket", ["sample_bucket"], unique=False)
        batch_op.drop_index("ix_documents_public")
        batch_op.create_index("ix_documents_public", ["status", "published_on"], unique=False)
    op.execute("UPDATE documents SET sample_bucket = sample_bucket / 10")
    if pg:
        for column in INLINE:
            op.execute(f"ALTER TABLE documents ALTER COLUMN {column} SET STORAGE EXTENDED")
        # btree_gin stays: other objects may have come to use it.
