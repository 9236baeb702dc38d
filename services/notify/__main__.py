from shared.cli import main
from services.notify.app import build_spec

raise SystemExit(main(build_spec))
