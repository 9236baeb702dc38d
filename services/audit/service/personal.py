"""Personal data in the log: sealed under each subject's key on the way in, opened by need to know.

Who sees it in full follows the requests service's rule: the registrars, handlers and heads of
the agency the entry belongs to. Everyone else who may read the log (supervisors, reviewers,
officers of other agencies, admins) sees it masked. Erasing destroys the subject's key: the
values become unreadable for good, and the chain, which covers only the ciphertext, still holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.audit.adapters.orm import AuditEntry, SubjectKey
from services.audit.adapters.repository import AuditLog, EntryCriteria, SubjectKeys
from services.audit.domain.personal import ERASED, has_personal, open_payload, replace_personal, seal_payload, subject_of
from services.audit.settings import AuditSettings
from shared.auth import Principal
from shared.db import utcnow
from shared.events import Actor, EventEnvelope
from shared.sealing import derive_key, seal_with, unseal_with
from shared.settings import service_settings
from shared.uow import UnitOfWork

_KEY_PURPOSE = "audit-subject-key"


def _aad(event_id: str, subject: str, path: str) -> bytes:
    # Binds each ciphertext to its place: it cannot be moved to another entry or field unnoticed.
    return f"{event_id}|{subject}|{path}".encode()


class SubjectKeyring:
    """Unwraps subjects' keys with the deployment's key-encryption key."""

    def __init__(self, settings: AuditSettings) -> None:
        self._kek = derive_key(settings.key_encryption_key.get_secret_value(), _KEY_PURPOSE)

    def wrap(self, subject_id: str, key: bytes) -> str:
        return seal_with(self._kek, key, subject_id.encode())

    def unwrap(self, row: SubjectKey) -> bytes | None:
        return None if row.sealed_key is None else unseal_with(self._kek, row.sealed_key, row.subject_id.encode())


async def seal_envelope(uow: UnitOfWork, envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope as the log stores it: personal values sealed under the subject's key."""
    payload = envelope.get("payload")
    if not isinstance(payload, dict) or not has_personal(payload):
        return envelope
    ring = SubjectKeyring(service_settings(uow.settings, AuditSettings))
    subject = subject_of(envelope)
    keys = SubjectKeys(uow.session)
    row = await keys.get(subject)
    if row is None:
        applicant = payload.get("applicant_sub") if isinstance(payload.get("applicant_sub"), str) else None
        row = await keys.add(
            SubjectKey(subject_id=subject, applicant_sub=applicant, created_at=utcnow(), sealed_key=ring.wrap(subject, os.urandom(32)))
        )
    elif row.applicant_sub is None and isinstance(payload.get("applicant_sub"), str):
        row.applicant_sub = payload["applicant_sub"]  # a request that was registered on paper, later claimed
    key = ring.unwrap(row)
    event_id = envelope["event_id"]
    if key is None:
        # Erased already: what arrives late about this subject is not kept either.
        return {**envelope, "payload": replace_personal(payload, lambda path, item: ERASED)}
    sealed = seal_payload(payload, lambda path, plain: seal_with(key, plain, _aad(event_id, subject, path)))
    return {**envelope, "payload": sealed}


class EntryReader:
    """Opens the sealed values of a batch of entries for one reader."""

    def __init__(self, settings: AuditSettings, principal: Principal, keys: dict[str, SubjectKey]) -> None:
        self._ring = SubjectKeyring(settings)
        self._principal = principal
        self._keys: dict[str, bytes | None] = {}
        for subject, row in keys.items():
            try:
                self._keys[subject] = self._ring.unwrap(row)
            except ValueError:
                self._keys[subject] = None

    @classmethod
    async def load(
        cls, session: AsyncSession, settings: AuditSettings, principal: Principal, envelopes: Iterable[dict[str, Any]]
    ) -> EntryReader:
        subjects = {subject_of(e) for e in envelopes if has_personal(e.get("payload"))}
        return cls(settings, principal, await SubjectKeys(session).many(subjects))

    def payload(self, envelope: dict[str, Any]) -> dict[str, Any]:
        subject = subject_of(envelope)
        key = self._keys.get(subject)
        event_id = envelope.get("event_id", "")

        def open_(path: str, token: str) -> bytes | None:
            return None if key is None else unseal_with(key, token, _aad(event_id, subject, path))

        return open_payload(envelope.get("payload") or {}, open_, full=self._principal.needs_to_know(envelope.get("agency_id")))


async def stream_readable(
    sessions: async_sessionmaker[AsyncSession],
    settings: AuditSettings,
    principal: Principal,
    criteria: EntryCriteria,
    *,
    after_seq: int = 0,
    batch_size: int = 500,
) -> AsyncIterator[tuple[AuditEntry, dict[str, Any]]]:
    """Every matching entry in `seq` order with its envelope opened for `principal`, a batch per short session."""
    while True:
        async with sessions() as session:
            batch = await AuditLog(session).search(criteria, after_seq=after_seq, limit=batch_size)
            envelopes = [json.loads(e.envelope) for e in batch]
            reader = await EntryReader.load(session, settings, principal, envelopes)
        for entry, envelope in zip(batch, envelopes, strict=False):
            yield entry, reader.payload(envelope)
        if len(batch) < batch_size:
            return
        after_seq = batch[-1].seq


async def erase(uow: UnitOfWork, actor: Principal, *, applicant_sub: str | None, request_id: str | None) -> list[str]:
    """Destroy the keys of one applicant's requests (or of one request); the erasure itself is logged."""
    from services.audit.service.record import record_event

    keys = await SubjectKeys(uow.session).held_for(applicant_sub=applicant_sub, subject_id=f"request:{request_id}" if request_id else None)
    now = utcnow()
    for row in keys:
        row.sealed_key, row.erased_at, row.erased_by = None, now, actor.sub
    erased = sorted(row.subject_id for row in keys)
    if erased:
        await record_event(
            uow,
            EventEnvelope(
                type="PersonalDataErased",
                source="audit",
                aggregate_type="applicant" if applicant_sub else "request",
                aggregate_id=applicant_sub or request_id or "",
                actor=Actor(sub=actor.sub, role=actor.primary_role.value, agency_id=actor.agency_id),
                payload={"subjects": erased, "by_applicant": applicant_sub is not None},
            ),
        )
    return erased
