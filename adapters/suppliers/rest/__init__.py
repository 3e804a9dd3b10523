"""Purchase orders sent to a supplier's REST API, described by a profile in tandem.yaml."""

from tandem.adapters.suppliers.rest.channel import RestChannel

__all__ = ["RestChannel"]
