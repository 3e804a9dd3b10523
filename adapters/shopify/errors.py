"""What can go wrong talking to Shopify, by what to do about it.

ShopifyError (a TandemError: its message is fit to show a user)
├── RetryableError        try again later: the call did not take effect
│   ├── Throttled         the cost bucket ran dry (THROTTLED, HTTP 429)
│   └── Unavailable       5xx, a connect error or a timeout
├── AuthError             401/403: the access token is wrong or lacks a scope
├── RequestError          Shopify refused the document or its variables (other 4xx, GraphQL
│                         errors): retrying the same call cannot help
└── UserErrors            the mutation ran and said no (`userErrors`), with the field and the
                          record (order, variant) it was about
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.errors import TandemError


class ShopifyError(TandemError):
    pass


class RetryableError(ShopifyError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(RetryableError):
    pass


class Unavailable(RetryableError):
    pass


class AuthError(ShopifyError):
    pass


class RequestError(ShopifyError):
    def __init__(self, message: str, codes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.codes = list(codes)


@dataclass(frozen=True)
class UserError:
    field: tuple[str, ...]
    message: str
    code: str | None = None

    def __str__(self) -> str:
        where = ".".join(self.field)
        return f"{where}: {self.message}" if where else self.message


class UserErrors(ShopifyError):
    def __init__(self, operation: str, subject: str, errors: Sequence[UserError]) -> None:
        self.operation = operation
        self.subject = subject
        self.errors = list(errors)
        listed = "; ".join(str(e) for e in self.errors)
        super().__init__(f"Shopify refused {operation} for {subject}: {listed}")

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors if e.code}
