"""What a request reads from its application: the engine (one accessor for every blueprint;
``create_app`` puts it in ``ENGINE``, beside the settings in ``SETTINGS``)."""
from __future__ import annotations

from flask import current_app, request


def engine():
    """The application's ``SearchEngine`` (``create_app``'s ``ENGINE``)."""
    return current_app.config["ENGINE"]


def public_root() -> str:
    """The scheme, host and path prefix of absolute links (feeds, the OpenAPI servers):
    ``KGSEARCH_PUBLIC_URL`` when set, else what the request was addressed to (its Host header,
    which a client chooses: fine on a laptop, to be set on a public address)."""
    configured = (current_app.config["SETTINGS"].public_url or "").rstrip("/")
    return configured or request.host_url.rstrip("/")
