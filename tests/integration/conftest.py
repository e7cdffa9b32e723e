"""Fixtures of the integration tests beyond the root conftest: the notification rig and its local SMTP sink."""

from notify_support import rig, smtp_sink

__all__ = ["rig", "smtp_sink"]
