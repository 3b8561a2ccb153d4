"""What a request reads from its application: the engine and the settings (one accessor each,
for every blueprint)."""
from __future__ import annotations

from flask import current_app

from kgsearch.settings import Settings


def engine():
    """The application's ``SearchEngine`` (``create_app``'s ``ENGINE``)."""
    return current_app.config["ENGINE"]


def settings() -> Settings:
    """The application's settings (``create_app``'s ``settings``)."""
    return current_app.config["SETTINGS"]
