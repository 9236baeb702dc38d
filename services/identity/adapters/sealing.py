"""Secrets at rest (signing keys, TOTP seeds): AES-256-GCM under the deployment's key-encryption key."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


def _key(kek: str, purpose: str) -> bytes:
    # One derived key per purpose, so a TOTP seed can never be decrypted as a signing key or back.
    return hashlib.sha256(f"gov-disclosure/{purpose}/{kek}".encode()).digest()


def seal(kek: str, purpose: str, plaintext: bytes) -> str:
    """Encrypt `plaintext`; the result is text safe to store."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(kek, purpose)).encrypt(nonce, plaintext, purpose.encode())
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(kek: str, purpose: str, token: str) -> bytes:
    """Decrypt what `seal` produced; raises `ValueError` on a wrong key or tampered text."""
    version, _, body = token.partition(".")
    if version != _VERSION:
        raise ValueError("unknown sealing version")
    raw = base64.urlsafe_b64decode(body)
    try:
        return AESGCM(_key(kek, purpose)).decrypt(raw[:12], raw[12:], purpose.encode())
    except Exception as exc:  # cryptography raises InvalidTag
        raise ValueError("cannot unseal: wrong key-encryption key or tampered data") from exc
