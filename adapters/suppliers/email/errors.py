"""The one error the email channel adds to the supplier channel tree.

An `EmailSetupError` is a `PermanentError`: the supplier's email settings cannot produce a
message (an unknown CSV column, a template that is missing, does not compile or fails to
render), so retrying cannot help and a person must fix the configuration.
"""

from __future__ import annotations

from tandem.connector.channels import PermanentError


class EmailSetupError(PermanentError):
    pass
