from shared.migrate import run_env

from services.catalog.adapters.orm import Base

run_env(Base.metadata)
