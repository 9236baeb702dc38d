from shared.cli import main
from services.catalog.app import build_spec

raise SystemExit(main(build_spec))
