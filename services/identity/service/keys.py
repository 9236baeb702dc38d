"""The signing key ring: RS256 keys the service generates, rotates with overlap and publishes as JWKS.

A retired key stops signing at once but stays in the key set until every token it signed has
expired (the longest token lifetime plus the verifiers' leeway), so rotation never logs anyone out.
Every replica re-reads the ring every `key_refresh_seconds`, so it sees another replica's
rotation; the newest active key signs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.identity.adapters.orm import SigningKey
from services.identity.adapters.repository import SigningKeyRepository
from services.identity.settings import IdentitySettings
from shared.db import utcnow
from shared.sealing import seal, unseal
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

_PURPOSE = "signing-key"
# Verifiers allow this much clock skew on `exp`; a retired key is published that much longer.
VERIFIER_LEEWAY = timedelta(seconds=60)


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private: Any | None  # None once retired: it only verifies
    public: Any
    jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable `kid` derived from the public key itself."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def new_key_pair(kek: str) -> SigningKey:
    """A fresh RSA-2048 pair, the private half sealed."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    kid = _thumbprint(jwk)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return SigningKey(kid=kid, private_key=seal(kek, _PURPOSE, pem), public_jwk=json.dumps(jwk), created_at=utcnow())


class KeyRing:
    """The keys of this process, reloaded from the database; signs and verifies tokens."""

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self._keys: dict[str, LoadedKey] = {}
        self._active: LoadedKey | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def publish_window(self) -> timedelta:
        # The longest-lived token a key signs: a person's access token or a service's token.
        longest = max(self.settings.access_token_ttl_seconds, self.settings.service_token_ttl_seconds)
        return timedelta(seconds=longest) + VERIFIER_LEEWAY

    async def load(self, uow: UnitOfWork) -> None:
        """Read the published keys; unseal the active ones."""
        now = utcnow()
        rows = await SigningKeyRepository(uow.session).published(now - self.publish_window)
        kek = self.settings.key_encryption_key.get_secret_value()
        keys: dict[str, LoadedKey] = {}
        for row in rows:
            jwk = json.loads(row.public_jwk)
            private = None
            if row.retired_at is None:
                private = serialization.load_pem_private_key(unseal(kek, _PURPOSE, row.private_key), password=None)
            keys[row.kid] = LoadedKey(row.kid, private, RSAAlgorithm.from_jwk(jwk), jwk, row.created_at, row.retired_at)
        self._keys = keys
        active = [k for k in keys.values() if k.private is not None]
        self._active = max(active, key=lambda k: k.created_at) if active else None
        self._loaded_at = time.monotonic()

    async def rotate(self, uow: UnitOfWork) -> str:
        """Retire the active key(s) and make a new one; returns the new `kid`. The caller commits."""
        row = new_key_pair(self.settings.key_encryption_key.get_secret_value())
        repo = SigningKeyRepository(uow.session)
        await repo.retire_active(utcnow())
        repo.add(row)
        await uow.session.flush()
        log.info("signing key rotated: new kid %s", row.kid)
        return row.kid

    def needs_rotation(self) -> bool:
        if self._active is None:
            return True
        return utcnow() - self._active.created_at > timedelta(days=self.settings.signing_key_rotation_days)

    async def maintain(self, new_uow) -> None:
        """Load the ring; make or rotate the key when due (the periodic loop and start-up)."""
        async with self._lock:
            async with new_uow() as uow:
                await self.load(uow)
                if self.needs_rotation():
                    await self.rotate(uow)
                    await uow.commit()
                    await self.load(uow)

    def sign(self, claims: dict[str, Any]) -> str:
        active = self._active
        if active is None or active.private is None:  # the active key is never a retired one
            raise RuntimeError("no active signing key: the key ring was not loaded")
        return jwt.encode(claims, active.private, algorithm="RS256", headers={"kid": active.kid})

    def jwks(self) -> dict[str, Any]:
        """The public key set: the active key and the retired ones still inside their window."""
        now = utcnow()
        return {
            "keys": [
                k.jwk
                for k in sorted(self._keys.values(), key=lambda k: k.created_at, reverse=True)
                if k.retired_at is None or k.retired_at > now - self.publish_window
            ]
        }

    def public_key(self, kid: str) -> Any | None:
        key = self._keys.get(kid)
        if key is None or (key.retired_at is not None and key.retired_at <= utcnow() - self.publish_window):
            return None
        return key.public
