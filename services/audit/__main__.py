from shared.cli import main
from services.audit.app import build_spec

raise SystemExit(main(build_spec))
