"""What a request reads from its application: the engine (one accessor for every blueprint;
``create_app`` puts it in ``ENGINE``, beside the settings in ``SETTINGS``)."""
from __future__ import annotations

from flask import current_app


def engine():
    """The application's ``SearchEngine`` (``create_app``'s ``ENGINE``)."""
    return current_app.config["ENGINE"]
