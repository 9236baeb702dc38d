"""Secrets at rest: AES-256-GCM under a key derived from the deployment's key-encryption key.

Plumbing only: each service decides what it seals and under which purpose. One derived key per
purpose, so a text sealed for one use can never be opened as another.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


def derive_key(kek: str, purpose: str) -> bytes:
    return hashlib.sha256(f"gov-disclosure/{purpose}/{kek}".encode()).digest()


def seal_with(key: bytes, plaintext: bytes, aad: bytes) -> str:
    """Encrypt `plaintext` under a 32-byte key, bound to `aad`; the result is text safe to store."""
    nonce = os.urandom(12)
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, aad)).decode()}"


def unseal_with(key: bytes, token: str, aad: bytes) -> bytes:
    """Decrypt what `seal_with` produced; `ValueError` on a wrong key, other `aad` or tampered text."""
    version, _, body = token.partition(".")
    if version != _VERSION:
        raise ValueError("unknown sealing version")
    try:
        raw = base64.urlsafe_b64decode(body)
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad)
    except Exception as exc:  # cryptography raises InvalidTag; bad base64 raises binascii.Error
        raise ValueError("cannot unseal: wrong key or tampered data") from exc


def seal(kek: str, purpose: str, plaintext: bytes) -> str:
    """Encrypt `plaintext` under the key-encryption key for one purpose."""
    return seal_with(derive_key(kek, purpose), plaintext, purpose.encode())


def unseal(kek: str, purpose: str, token: str) -> bytes:
    """Decrypt what `seal` produced; raises `ValueError` on a wrong key-encryption key or tampered text."""
    return unseal_with(derive_key(kek, purpose), token, purpose.encode())
