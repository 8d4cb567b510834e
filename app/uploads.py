"""The files a form posted, and where and how large the attachment service stores them (from the config)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request

from app.services.lifecycle.reporting import Upload, UploadPolicy


def uploads() -> list[Upload]:
    """The files posted in the form's ``attachments`` field."""
    files = request.files.getlist("attachments")
    return [Upload(f.filename or "附件", f.read()) for f in files if f and f.filename]


def upload_policy() -> UploadPolicy:
    """The configured attachment folder and size limit."""
    config = current_app.config
    return UploadPolicy(Path(config["ATTACHMENT_DIR"]), config["ATTACHMENT_MAX_BYTES"])
