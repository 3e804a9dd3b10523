"""How an amount is written on everything a supplier receives: email bodies, the PDF, CSV
files (email attachment and SFTP drop) and REST bodies. It is `connector.money.money`, the one
rule Tandem has, so the supplier reads the same figure the dashboard and the CLI show."""

from __future__ import annotations

from tandem.connector.money import money

__all__ = ["money"]
