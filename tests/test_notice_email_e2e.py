"""The formal notice goes with its e-mail as a PDF (#17): identity, requests and notify as `make run` wires them.

Notify takes a client-credentials token from identity and fetches the notice's PDF from the
requests service; the SMTP server is a real one the test starts, and the PDF it receives is read
back with poppler's `pdftotext`. While identity refuses notify's credential the e-mail waits,
with the reason recorded; it is not sent without the notice it announces.
"""

from __future__ import annotations

import contextlib
from datetime import date
from email.header import decode_header, make_header

from services.identity.app import create_app as identity_app
from services.identity.settings import IdentitySettings
from services.notify.adapters.orm import Notification
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.notify.tests.support import notifications
from services.notify.tests.test_notify_e2e import _body, _seed_agency
from services.notify.tests.test_notify_e2e import smtp as smtp  # noqa: F401  (a fixture, used by name)
from services.requests.app import create_app as requests_app
from services.requests.settings import RequestsSettings
from services.requests.tests.conftest import replicate_officer
from services.requests.tests.test_notices import pdftotext
from services.requests.tests.test_workflow_branches import consultation
from shared.testing import eventually, running_app, served, settings_for
from tests.test_identity_accounts_e2e import bearer, trusting

IDENTITY, REQUESTS = "/api/v1/identity", "/api/v1/requests"
SECRET = "notify-client-secret-for-the-e2e-test-0123456789"


def subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def pdf_parts(mail) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_payload(decode=True)) for part in mail.walk() if part.get_content_type() == "application/pdf"]


async def test_the_receipt_and_the_consultation_letter_are_e_mailed_with_their_notices_as_pdf(
    broker, databases, topic_prefix, smtp, tmp_path
):
    mailbox, smtp_port, _ = smtp
    ids = settings_for(
        IdentitySettings,
        database_url=await databases.new("identity"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        dev_tokens=True,
        service_clients={"notify": SECRET},
    )
    id_app = identity_app(ids)
    async with contextlib.AsyncExitStack() as stack:
        identity = await stack.enter_async_context(running_app(id_app))
        identity_url = await stack.enter_async_context(served(id_app, lifespan="off"))
        rs = settings_for(
            RequestsSettings,
            database_url=await databases.new("requests"),
            bootstrap=broker.bootstrap,
            prefix=topic_prefix,
            storage_dir=str(tmp_path / "files"),
            run_scheduler=False,
            run_consumers=False,
            **trusting(ids, identity_url),
        )
        req_app = requests_app(rs)
        requests = await stack.enter_async_context(running_app(req_app))
        requests_url = await stack.enter_async_context(served(req_app, lifespan="off"))
        req_app.state.today = lambda: date(2026, 9, 28)
        agency = await _seed_agency(req_app.state.runtime)
        await replicate_officer(req_app.state.runtime, "handler-1", [agency])

        async def token(sub: str, *roles: str, agency_id: str | None = None) -> dict[str, str]:
            got = await identity.post(f"{IDENTITY}/dev/tokens", json={"sub": sub, "roles": list(roles), "agency_id": agency_id})
            assert got.status_code == 200, got.text
            return bearer(got.json()["access_token"])

        def notify_settings(secret: str) -> NotifySettings:
            return settings_for(
                NotifySettings,
                database_url=notify_db,
                bootstrap=broker.bootstrap,
                prefix=topic_prefix,
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                dispatch_interval_seconds=0.2,
                retry_base_seconds=0.2,
                retry_max_seconds=0.5,
                requests_api_url=f"{requests_url}{REQUESTS}",
                identity_token_url=f"{identity_url}{IDENTITY}/oauth/token",
                client_secret=secret,
                **trusting(ids, identity_url),
            )

        notify_db = await databases.new("notify")
        applicant = await token("citizen-1", "applicant")
        created = await requests.post(f"{REQUESTS}/requests", json=_body(agency), headers=applicant)
        assert created.status_code == 201, created.text
        rid, tracking = created.json()["id"], created.json()["tracking_number"]

        # Identity refuses notify's credential (a wrong secret): the receipt e-mail waits, and says why.
        wrong = notify_app(notify_settings("not-the-secret-identity-knows-0123456789"))
        async with running_app(wrong):

            async def refused():
                rows = await notifications(wrong, request_id=rid, channel="email")
                return rows if rows and rows[0].attempts >= 2 else None

            [waiting] = await eventually(refused, timeout=60, message="the receipt e-mail tried and refused")
            assert waiting.status == "pending" and "invalid_client" in (waiting.last_error or "")
            assert waiting.attachment and "登记回执（" in waiting.attachment["filename"]
            assert f"附件：{waiting.attachment['filename'].removesuffix('.pdf')}" in waiting.body
        assert mailbox.messages == []

        # With the right credential the same e-mail goes out once, with the receipt as a PDF.
        right = notify_app(notify_settings(SECRET))
        async with running_app(right):
            await eventually(lambda: mailbox.messages, timeout=60, message="the receipt e-mail")
            [mail] = mailbox.messages
            assert tracking in subject(mail) and mail["To"] == "zhangsan@example.com"
            [(filename, pdf)] = pdf_parts(mail)
            notices = (await requests.get(f"{REQUESTS}/requests/{rid}/notices", headers=applicant)).json()
            [receipt] = [n for n in notices if n["kind"] == "receipt"]
            assert filename == f"{receipt['title']}（{receipt['document_number']}）.pdf"
            text = pdftotext(pdf)
            assert receipt["document_number"] in text and tracking in text and "某某县民政局" in text and "救济途径" in text

            # A consultation letter goes to the third party's e-mail with the letter itself attached.
            head = await token("head-1", "head", agency_id=agency)
            handler = await token("handler-1", "handler", agency_id=agency)
            assigned = await requests.post(f"{REQUESTS}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=head)
            assert assigned.status_code == 200, assigned.text
            consulted = await requests.post(
                f"{REQUESTS}/requests/{rid}/consultations",
                json={**consultation(), "party_contact": "legal@trade.example.com"},
                headers=handler,
            )
            assert consulted.status_code in (200, 201), consulted.text
            letter_mail = await eventually(
                lambda: next((m for m in mailbox.messages if m["To"] == "legal@trade.example.com"), None),
                timeout=60,
                message="the consultation letter by e-mail",
            )
            [(letter_name, letter_pdf)] = pdf_parts(letter_mail)
            assert "征求意见函（" in letter_name
            letter_text = pdftotext(letter_pdf)
            assert "某某商贸有限公司" in letter_text and "张三" not in letter_text  # the party is not told who asked

            async def recorded():
                rows = [n for n in await notifications(right, request_id=rid, channel="email") if n.status == "sent"]
                return rows if len(rows) == 2 else None

            sent: list[Notification] = await eventually(recorded, timeout=30, message="both e-mails recorded as sent")
            assert {n.kind for n in sent} == {"receipt", "consultation_letter"}
        assert len(mailbox.messages) == 2  # the refused attempts sent nothing
