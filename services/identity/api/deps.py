"""Dependencies of the identity routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.identity.service.keys import KeyRing
from services.identity.settings import IdentitySettings


def _keyring(request: Request) -> KeyRing:
    return request.app.state.keyring


def _settings(request: Request) -> IdentitySettings:
    return request.app.state.settings


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn applies X-Forwarded-For from the gateway)."""
    return request.client.host if request.client else "unknown"


Keys = Annotated[KeyRing, Depends(_keyring)]
Settings = Annotated[IdentitySettings, Depends(_settings)]
