"""What can go wrong talking to Shopify, by what to do about it.

ShopifyError (a TandemError: its message is fit to show a user)
├── RetryableError        may work later; `may_have_applied` says whether the call could have
│   │                     taken effect (then only a call that is safe to repeat is resent)
│   ├── Throttled         the cost bucket ran dry (THROTTLED, HTTP 429): it did not run
│   ├── Unavailable       5xx, a connect error or a timeout (only a connect error is sure not
│   │                     to have reached Shopify)
│   └── MalformedResponse an answer Tandem cannot read (no `data`, a missing field)
├── AuthError             401/403: the access token is wrong or lacks a scope
├── RequestError          Shopify refused the document or its variables (other 4xx, GraphQL
│                         errors): retrying the same call cannot help
└── UserErrors            the mutation ran and said no (`userErrors`), with the field and the
                          record (order, variant) it was about

`check` turns a mutation's payload into UserErrors when it says no; `reading` turns a field
missing from an answer into MalformedResponse.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tandem.connector.errors import TandemError, TemporaryError


class ShopifyError(TandemError):
    pass


class RetryableError(ShopifyError, TemporaryError):
    def __init__(
        self, message: str, retry_after: float | None = None, *, may_have_applied: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.may_have_applied = may_have_applied


class Throttled(RetryableError):
    pass


class Unavailable(RetryableError):
    pass


class MalformedResponse(RetryableError):
    def __init__(self, message: str) -> None:
        # Whatever Shopify did with the call, its answer does not tell.
        super().__init__(message, may_have_applied=True)


@contextmanager
def reading(operation: str) -> Iterator[None]:
    """Turn a field missing from `operation`'s answer into a MalformedResponse."""
    try:
        yield
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise MalformedResponse(
            f"Shopify's answer to {operation} is not what Tandem expects"
            f" ({type(exc).__name__}: {exc})"
        ) from None


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


def check(payload: Any, operation: str, subject: str) -> dict[str, Any]:
    """A mutation's payload, or UserErrors saying what Shopify refused.

    Some payloads carry their errors under their own name as well as, or instead of,
    `userErrors` (`orderCancelUserErrors`, `locationDeactivateUserErrors`): all are read."""
    if not isinstance(payload, dict):
        raise MalformedResponse(f"Shopify answered {operation} for {subject} without its result")
    errors: dict[tuple[tuple[str, ...], str], UserError] = {}
    for key, listed in payload.items():
        if key != "userErrors" and not key.endswith("UserErrors"):
            continue
        for e in listed if isinstance(listed, list) else ():
            if not isinstance(e, dict):
                continue
            error = UserError(
                tuple(str(f) for f in e.get("field") or ()),
                str(e.get("message") or ""),
                e.get("code"),
            )
            # The same error in both lists: keep the one that carries a code.
            seen = errors.get((error.field, error.message))
            if seen is None or (seen.code is None and error.code is not None):
                errors[(error.field, error.message)] = error
    if errors:
        raise UserErrors(operation, subject, list(errors.values()))
    return payload
