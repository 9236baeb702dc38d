"""Operator commands of the identity service."""

from __future__ import annotations

from shared.service import ServiceRuntime, ServiceSpec

from services.identity.service.keys import KeyRing


async def rotate_keys(spec: ServiceSpec) -> int:
    """轮换签名密钥：新密钥立即签发，旧密钥在其令牌过期前仍可验证"""
    runtime = ServiceRuntime(spec)
    try:
        await runtime.migrate()
        ring = KeyRing(spec.settings)  # type: ignore[arg-type]
        async with runtime.uow() as uow:
            kid = await ring.rotate(uow)
            await uow.commit()
        print(f"新签名密钥：{kid}")
        return 0
    finally:
        await runtime.engine.dispose()


COMMANDS = {"rotate-keys": rotate_keys}
