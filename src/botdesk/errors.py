"""Domain errors. The HTTP layer maps each to a status code and a stable JSON shape."""

from __future__ import annotations


class BotdeskError(Exception):
    """Base for errors whose message is safe to show the caller (no personal data)."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Per-field problems, e.g. [{"field": "email", "message": "..."}] for a form.
        self.details = details


class NotFound(BotdeskError):
    status_code = 404
    code = "not_found"


class Unauthorized(BotdeskError):
    status_code = 401
    code = "unauthorized"


class SignedOut(Unauthorized):
    """No console session (never signed in, signed out, or expired): pages send to sign-in."""


class Forbidden(BotdeskError):
    status_code = 403
    code = "forbidden"


class Conflict(BotdeskError):
    status_code = 409
    code = "conflict"


class Invalid(BotdeskError):
    status_code = 422
    code = "invalid"


class TooLarge(BotdeskError):
    status_code = 413
    code = "too_large"


class RateLimited(BotdeskError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        # Seconds until the caller may try again (the Retry-After header), when known.
        self.retry_after = retry_after


class MailNotAvailable(BotdeskError):
    status_code = 503
    code = "mail_unavailable"
