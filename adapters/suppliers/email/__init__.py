"""Purchase orders by email: `EmailChannel` sends a PO document over SMTP with HTML and text
bodies and the PO as PDF and CSV attachments.

Errors (see `connector.channels`): `TransientError` for SMTP 4xx, timeouts and refused
connections; `PermanentError` for SMTP 5xx and untrusted certificates; `EmailSetupError` (a
`PermanentError`) for settings that cannot produce a message; `LookupUnsupported` from
`lookup`, since SMTP cannot tell whether an earlier attempt arrived.
"""

from tandem.adapters.suppliers.email.channel import EmailChannel
from tandem.adapters.suppliers.email.errors import EmailSetupError
from tandem.adapters.suppliers.email.message import message_id

__all__ = ["EmailChannel", "EmailSetupError", "message_id"]
