"""Configuration: the only module that reads the environment."""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, ClassVar


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the environment variable ``name``, or ``default`` when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable: 1/true/yes/on are true, 0/false/no/off are false."""
    value = env_str(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Read an integer variable; a malformed value is a start-up error, not a silent default."""
    value = env_str(name)
    return default if value is None else int(value)


class Config:
    """Settings for a running Duban; every value can be overridden by the environment."""

    #: "development" (default) or "production"; production refuses an unset SECRET_KEY,
    #: marks cookies Secure and forces seeded accounts to change their password.
    DUBAN_ENV = env_str("DUBAN_ENV", "development")
    SECRET_KEY = env_str("SECRET_KEY")
    #: None means SQLite in the instance folder (resolved by create_app).
    SQLALCHEMY_DATABASE_URI = env_str("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    #: PostgreSQL cancels a statement after this long (0: never), below gunicorn's worker timeout (30 s).
    DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 25000)
    #: The same for `duban` commands, the scheduler's long jobs included (0: never).
    COMMAND_STATEMENT_TIMEOUT_MS = env_int("COMMAND_STATEMENT_TIMEOUT_MS", 0)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", DUBAN_ENV == "production")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("SESSION_HOURS", 8))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    #: Failed sign-ins allowed per account *and* client address (never per account alone, so nobody can
    #: lock a victim out). The windows nest, so each wait is longer than the last: about 1 minute, 14 minutes,
    #: 45 minutes, 5 hours, 18 hours; a success costs nothing.
    LOGIN_RATE_LIMIT = env_str(
        "LOGIN_RATE_LIMIT", "5 per minute; 10 per 15 minutes; 15 per hour; 20 per 6 hours; 25 per day"
    )
    #: Requests allowed per API token (flask-limiter notation, nested windows as above); past it, 429.
    API_RATE_LIMIT = env_str("API_RATE_LIMIT", "120 per minute; 3000 per hour")
    #: Where the failure counts live: redis://host:6379/0 in production (shared by every worker).
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
    #: Reverse proxies in front of Duban whose X-Forwarded-For/-Proto to trust (0: none), so throttling
    #: sees each client's address rather than the proxy's.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    #: argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_KIB = env_int("ARGON2_MEMORY_KIB", 65536)
    #: Seeded demo accounts must change their password before anything else.
    FORCE_PASSWORD_CHANGE = env_bool("FORCE_PASSWORD_CHANGE", DUBAN_ENV == "production")

    #: Largest accepted upload or pasted text; also the plan importer's limit.
    MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_MB", 10) * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
    PLAN_MAX_BYTES = MAX_CONTENT_LENGTH
    #: Where attachments are stored; None means the instance folder's attachments/.
    ATTACHMENT_DIR = env_str("ATTACHMENT_DIR")
    #: Largest single attachment to a report.
    ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024
    #: Most attachments one submission may carry (all of them together stay within MAX_UPLOAD_MB).
    MAX_ATTACHMENTS_PER_SUBMISSION = env_int("MAX_ATTACHMENTS_PER_SUBMISSION", 20)
    #: 催办 limits: the same step is not urged again within this many minutes, nor more often a day.
    URGE_REPEAT_MINUTES = env_int("URGE_REPEAT_MINUTES", 60)
    URGES_PER_ITEM_PER_DAY = env_int("URGES_PER_ITEM_PER_DAY", 3)

    #: Outgoing mail; unset SMTP_HOST means in-app notices only, no e-mail.
    SMTP_HOST = env_str("SMTP_HOST")
    SMTP_PORT = env_int("SMTP_PORT", 25)
    SMTP_USER = env_str("SMTP_USER")
    SMTP_PASSWORD = env_str("SMTP_PASSWORD")
    SMTP_STARTTLS = env_bool("SMTP_STARTTLS", False)
    SMTP_TIMEOUT_SECONDS = env_int("SMTP_TIMEOUT_SECONDS", 10)
    MAIL_FROM = env_str("MAIL_FROM", "duban@localhost")
    #: Tries before a mail is marked failed; the wait doubles from 1 minute up to the cap.
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_BACKOFF_CAP_MINUTES = env_int("MAIL_BACKOFF_CAP_MINUTES", 60)
    #: Mails claimed at once and sent over one SMTP connection; a run sends batch after batch.
    MAIL_BATCH_SIZE = env_int("MAIL_BATCH_SIZE", 200)
    #: Hour (Beijing time) the daily digest of reminders goes out, for plans whose policy asks for one.
    DIGEST_HOUR = env_int("DIGEST_HOUR", 17)
    #: Where users reach Duban, for the absolute links in e-mails.
    PUBLIC_URL = env_str("PUBLIC_URL", "http://localhost:5000")

    #: SMS through the bureau's HTTP gateway; unset SMS_GATEWAY_URL means no SMS. Each request is signed
    #: (README, "Notice channels"); SMS_TEMPLATES maps notice kinds to the gateway's approved templates
    #: ("report_returned=SMS_1001,overdue=SMS_1002"): only kinds with a template can be chosen for SMS.
    SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
    SMS_APP_KEY = env_str("SMS_APP_KEY", "")
    SMS_APP_SECRET = env_str("SMS_APP_SECRET", "")
    SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "督办系统")
    SMS_TEMPLATES = env_str("SMS_TEMPLATES", "")
    #: Timeout of one HTTP request to the SMS gateway, a group robot or a webhook receiver.
    CHANNEL_TIMEOUT_SECONDS = env_int("CHANNEL_TIMEOUT_SECONDS", 10)
    #: Tries of an SMS, robot post or webhook before it is marked failed (the wait doubles up to the cap).
    CHANNEL_MAX_ATTEMPTS = env_int("CHANNEL_MAX_ATTEMPTS", 8)
    CHANNEL_BATCH_SIZE = env_int("CHANNEL_BATCH_SIZE", 200)

    # 统一身份认证 (README, "Unified sign-in"): each provider is offered on the sign-in page once configured.
    #: OpenID Connect: the issuer (its /.well-known/openid-configuration is read) or the discovery URL itself.
    OIDC_ISSUER = env_str("OIDC_ISSUER")
    OIDC_DISCOVERY_URL = env_str("OIDC_DISCOVERY_URL")
    OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
    OIDC_SCOPES = env_str("OIDC_SCOPES", "openid profile email")
    #: The claim whose value is the Duban user name (matched case-insensitively).
    OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
    OIDC_DISPLAY_NAME_CLAIM = env_str("OIDC_DISPLAY_NAME_CLAIM", "name")
    #: May a first sign-in of someone unknown create a user (待分配 until an administrator assigns them)?
    OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", False)
    OIDC_LABEL = env_str("OIDC_LABEL", "统一身份认证登录")
    #: CAS 2.0/3.0: the server's base URL (…/cas); 3 validates at /p3/serviceValidate, 2 at /serviceValidate.
    CAS_SERVER_URL = env_str("CAS_SERVER_URL")
    CAS_VERSION = env_int("CAS_VERSION", 3)
    #: The attribute (CAS 3.0) whose value is the Duban user name; unset: the CAS user itself.
    CAS_USERNAME_ATTRIBUTE = env_str("CAS_USERNAME_ATTRIBUTE")
    CAS_DISPLAY_NAME_ATTRIBUTE = env_str("CAS_DISPLAY_NAME_ATTRIBUTE", "name")
    CAS_CREATE_USERS = env_bool("CAS_CREATE_USERS", False)
    CAS_LABEL = env_str("CAS_LABEL", "统一身份认证登录")
    #: Seconds to wait for the provider's discovery, token and ticket validation answers.
    SSO_TIMEOUT_SECONDS = env_int("SSO_TIMEOUT_SECONDS", 10)


class TestConfig(Config):
    """Settings for the test suite: CSRF stays on, the database comes from the fixture."""

    TESTING = True
    DUBAN_ENV = "development"
    SECRET_KEY = "test-secret-key"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    #: Schemathesis and the lifecycle tests send hundreds of requests with one token; a test sets its own.
    API_RATE_LIMIT = "10000 per minute"
    FORCE_PASSWORD_CHANGE = False
    # Real argon2id at a low cost: the suite signs in hundreds of times.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    #: No mail unless a test configures its own SMTP server.
    SMTP_HOST = None
    #: Sign-in throttling counts in this process, whatever the environment says.
    RATELIMIT_STORAGE_URI = "memory://"
    #: No 统一身份认证 unless a test starts its own provider.
    OIDC_ISSUER = None
    OIDC_DISCOVERY_URL = None
    CAS_SERVER_URL = None
