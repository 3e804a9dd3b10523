"""`tandem run`: the long-lived process (scheduler, web server, graceful shutdown)."""
