from services.requests.app import build_spec, create_app
from shared.cli import main

raise SystemExit(main(build_spec, create_app))
