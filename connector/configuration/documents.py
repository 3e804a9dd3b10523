"""What the PO paperwork says about us and about the supplier, beyond the order itself.

`company` (top level) is who orders: the name, address, VAT number and contact printed as
"Ordered by" on every PO; unset, the warehouse stands in. Each supplier may add its own
address, the account number we have with it, the payment terms agreed and a lead time from
which the requested delivery date is printed. What is not configured is not printed.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from tandem.connector.configuration.fields import Duration, Section
from tandem.connector.domain import Address


class PostalAddress(Address):
    """An address as the configuration gives it: a misspelt key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CompanyConfig(Section):
    """Us, as the supplier reads it on the PO."""

    name: str = Field(min_length=1, max_length=200)
    address: PostalAddress = Field(default_factory=PostalAddress)
    vat_number: str | None = Field(default=None, max_length=40)
    email: str | None = None  # who the supplier asks about the PO
    phone: str | None = None


class SupplierPaperwork(Section):
    """A supplier's details printed on its POs (the fields of every `suppliers:` entry)."""

    # The supplier's own address, printed under its name.
    address: PostalAddress | None = None
    # Our customer number with the supplier.
    account_number: str | None = Field(default=None, max_length=64)
    # As agreed with the supplier, printed as given ("30 days net").
    payment_terms: str | None = Field(default=None, max_length=200)
    # The PO asks for delivery this long after its date (e.g. 5d); unset: no date asked.
    delivery_lead_time: Duration | None = None
