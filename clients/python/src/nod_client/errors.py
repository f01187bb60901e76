"""Errors: the server's refusals (NodError and a subclass per status) and an expired review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import Message


@dataclass(frozen=True)
class FieldError:
    """One problem the server found, at a dotted path of the request (``review.payload.options.0.id``)."""

    path: str
    message: str


class NodError(Exception):
    """The server refused a request (or could not be reached): its status, message and each field problem.

    ``status`` is the HTTP status, or 0 when no answer came at all (:class:`NodConnectionError`).
    ``errors`` lists every problem the server found (docs/api.md, "Authentication and errors").
    ``retry_after`` is the ``Retry-After`` header in seconds, when the server sent one (429, 503).
    """

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[FieldError] | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{message} (HTTP {status})" if status else message)
        self.status = status
        self.message = message
        self.errors: list[FieldError] = list(errors or [])
        self.retry_after = retry_after
        self.body = body


class InvalidRequest(NodError):
    """400: invalid input, including unknown fields; nothing was stored. ``errors`` names each problem."""


class Unauthorized(NodError):
    """401: a missing, unknown or revoked API key."""


class Forbidden(NodError):
    """403: allowed in general, but not with this key."""


class NotFound(NodError):
    """404: not found, or not yours (another user's id looks exactly like an unknown one)."""


class Conflict(NodError):
    """409: the review was already answered, or the message cannot be changed now."""


class Gone(NodError):
    """410: the review has expired."""


class PayloadTooLarge(NodError):
    """413: the body or upload is too large."""


class UnsupportedMediaType(NodError):
    """415: the wrong Content-Type."""


class RateLimited(NodError):
    """429: too many requests with this key; ``retry_after`` says how long to wait."""


class ServerError(NodError):
    """5xx: the server failed or restarted (503 with ``Retry-After: 0``: a wait interrupted by a restart)."""


class NodConnectionError(NodError):
    """No answer from the server: the connection failed, dropped or timed out (``status`` 0)."""


_BY_STATUS: dict[int, type[NodError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: RateLimited,
}


def error_class(status: int) -> type[NodError]:
    """The NodError subclass of an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, NodError)


class ReviewExpired(Exception):
    """The review expired before anyone answered it: no answer will come.

    ``message`` is the expired message as the server returned it; ``message_id`` its id.
    """

    def __init__(self, message: Message) -> None:
        expires_at = message.review.expires_at if message.review else None
        super().__init__(f"Review {message.id} expired at {expires_at or 'its expiry time'} without an answer")
        self.message = message
        self.message_id = message.id


class WaitTimeout(Exception):
    """``wait``/``ask`` was given a ``timeout`` and nobody answered in time. The review is still pending:
    call ``wait(message_id)`` again later."""

    def __init__(self, message_id: str, timeout: float) -> None:
        super().__init__(f"No answer to review {message_id} within {timeout:g} s; it is still pending")
        self.message_id = message_id
        self.timeout = timeout
