from shared.migrate import run_env

from services.requests.adapters.orm import Base

run_env(Base.metadata)
