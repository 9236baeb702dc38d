from shared.cli import main
from services.requests.app import build_spec

raise SystemExit(main(build_spec))
