from shared.cli import main
from services.catalog.app import build_spec, create_app

raise SystemExit(main(build_spec, create_app))
