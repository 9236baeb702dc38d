from shared.migrate import run_env

from services.notify.adapters.orm import Base

run_env(Base.metadata)
