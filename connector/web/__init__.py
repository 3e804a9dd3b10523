"""Tandem's web side: the webhook receiver (and, with the daemon, the dashboard)."""

from connector.web.app import create_app

__all__ = ["create_app"]
