"""Composing and sending Duban's e-mails over SMTP (smtplib); no database here."""
from __future__ import annotations

import smtplib
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

#: What a failed delivery raises: the server refused, or could not be reached in time.
MAIL_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)

#: send(to_address, subject, body); raises one of MAIL_ERRORS when the mail did not go out.
Sender = Callable[[str, str, str], None]

SUBJECT_PREFIX = "【督办】"
FOOTER = "此邮件由督办系统自动发送,请勿直接回复。"


def compose(display_name: str, title: str, body: str, url: str, late: bool) -> tuple[str, str]:
    """The Chinese subject and plain-text body of a notice's e-mail, with its absolute link."""
    lines = [f"{display_name}您好:", "", body, "", f"查看详情:{url}"]
    if late:
        lines += ["", "(本通知因系统暂停未能按时发出,现予补发。)"]
    return SUBJECT_PREFIX + title, "\n".join([*lines, "", FOOTER])


def absolute_url(public_url: str, link: str) -> str:
    """``link`` (a path inside Duban) under the public address users reach Duban at."""
    return public_url.rstrip("/") + "/" + link.lstrip("/")


def build_message(sender: str, to_address: str, subject: str, body: str) -> EmailMessage:
    """A UTF-8 plain-text message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to_address
    message["Subject"] = subject
    message.set_content(body, charset="utf-8")
    return message


def smtp_sender(config: Mapping[str, Any]) -> Sender:
    """A Sender that delivers each mail over a connection of its own (SMTP_* settings)."""

    def send(to_address: str, subject: str, body: str) -> None:
        with SmtpSession(config) as session:
            session(to_address, subject, body)

    return send


class SmtpSession:
    """A Sender reusing one SMTP connection for a batch of mails (opened on the first, closed on exit).

    After any error the connection is dropped and the next mail opens a new one; a failed mail
    is never re-sent here (its outbox row retries later), so a mail the server may have taken
    before failing is not sent twice.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, to_address: str, subject: str, body: str) -> None:
        message = build_message(self.config["MAIL_FROM"], to_address, subject, body)
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            self.smtp.send_message(message)
        except MAIL_ERRORS:
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT_SECONDS"])
        try:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        except MAIL_ERRORS:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        """Say goodbye (QUIT) when the server still listens; close the socket either way."""
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except MAIL_ERRORS:
            self.smtp.close()
        self.smtp = None


def is_connection_error(error: Exception) -> bool:
    """True when the server could not be reached or talked to at all (not: it refused this one mail)."""
    refused_mail = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    return not isinstance(error, refused_mail)
