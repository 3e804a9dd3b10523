"""Tandem's web side: the webhook receiver, health and metrics, and the dashboard, served by
`tandem serve` and by the daemon (`tandem run`)."""

from tandem.connector.web.app import create_app

__all__ = ["create_app"]
