"""What can go wrong when asking Joulo: the one error tree of the Joulo boundary.

    JouloError
    ├── JouloTransientError        try again later; the account's data is just stale
    │   ├── JouloUnavailable       timeout, connection failure, 5xx, HTML or garbled body
    │   └── JouloRateLimited       429; `retry_after` seconds until the next request
    └── JouloRejected              the server said no; retrying the same request won't help
        └── JouloTokenRejected     401/403: token missing, rotated or revoked
            └── JouloScopeMissing  403 with `required_scope`: an OAuth token without that scope

The HTTP layer (`bot.joulo.transport`) raises `JouloUnavailable` for every network failure;
the client (`bot.joulo.client`) decides the rest from the status and the body.
"""

from __future__ import annotations


class JouloError(Exception):
    """Base class of every error the Joulo client raises."""


class JouloTransientError(JouloError):
    """The request failed for a reason that may go away by itself."""


class JouloUnavailable(JouloTransientError):
    """Joulo could not be reached or answered with a server error or an unreadable body."""


class JouloRateLimited(JouloTransientError):
    """Joulo asked us to slow down for this token."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


class JouloRejected(JouloError):
    """Joulo refused the request itself (4xx other than 429)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class JouloTokenRejected(JouloRejected):
    """The token is missing, invalid, rotated or revoked (401/403)."""


class JouloScopeMissing(JouloTokenRejected):
    """A 403 naming a `required_scope`: the token is good, but may not read this endpoint."""

    def __init__(self, status: int, message: str, scope: str) -> None:
        super().__init__(status, message)
        self.scope = scope
