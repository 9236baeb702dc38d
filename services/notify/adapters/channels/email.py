"""E-mail over SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from services.notify.adapters.channels import OutgoingMessage, SendResult


class SmtpEmail:
    name = "email"

    def __init__(self, *, host: str, port: int, sender: str, username: str = "", password: str = "", starttls: bool = False) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls

    async def send(self, message: OutgoingMessage) -> SendResult:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = self.sender, message.to, message.subject
        email["Message-ID"] = f"<{message.notification_id}@gov-disclosure>"  # stable across retries
        email.set_content(message.body)
        for file in message.files:  # the filename is encoded per RFC 2231 when it is Chinese
            maintype, subtype = file.content_type.split("/", 1)
            email.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.filename)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                start_tls=self.starttls,
                username=self.username or None,
                password=self.password or None,
                timeout=15,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return SendResult.failed(f"收件地址被拒绝：{exc}", permanent=True)
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the server's final word; 4xx asks us to try later.
            return SendResult.failed(f"{exc.code} {exc.message}", permanent=500 <= exc.code < 600)
        return SendResult.sent(message.notification_id)
