from shared.migrate import run_env

from services.audit.adapters.orm import Base

run_env(Base.metadata)
