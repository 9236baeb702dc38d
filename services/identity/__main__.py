from services.identity.app import build_spec, create_app
from services.identity.cli import COMMANDS
from shared.cli import main

raise SystemExit(main(build_spec, create_app, commands=COMMANDS))
