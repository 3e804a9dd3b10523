"""The demo's tests share the daemon's log capture."""

from tests.daemon.log_capture import lines

__all__ = ["lines"]
