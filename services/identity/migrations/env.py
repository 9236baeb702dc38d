from shared.migrate import run_env

from services.identity.adapters.orm import Base

run_env(Base.metadata)
