"""Secrets at rest (signing keys, TOTP seeds): AES-256-GCM under the deployment's key-encryption key."""

from shared.sealing import seal, unseal

__all__ = ["seal", "unseal"]
