"""What keeps hostile data harmless in the browser: link checks, echo limits, security headers."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

# Only these become links; anything else (javascript:, data:, vbscript:, relative, …) is shown as text.
LINK_SCHEMES = ("http", "https")
ECHO_CHARS = 80            # at most this much of a user's value is echoed back in a message

# What a browser drops before parsing a URL (WHATWG URL standard): C0 controls and spaces at both
# ends, tabs and newlines anywhere — so "java<TAB>script:" is "javascript:" to it, and so to us.
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_BAD_HOST = re.compile(r"[\x00-\x20\x7f\\]")

# Scripts and styles only from our own files (web/static: no inline script, no style= either), no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def safe_url(value) -> str | None:
    """``value`` as a browser would read it if it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str) or not value:
        return None
    cleaned = _TAB_OR_NEWLINE.sub("", value.strip(_C0_OR_SPACE))
    try:
        parts = urlsplit(cleaned)
        host = parts.hostname
    except ValueError:                       # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not host or _BAD_HOST.search(host):
        return None
    return cleaned


def shorten(value, limit: int = ECHO_CHARS) -> str:
    """``value`` (made a str) cut to ``limit`` characters with an ellipsis, to echo in messages."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shown(value, limit: int = ECHO_CHARS) -> str:
    """``repr`` of a user's value, cut to ``limit`` characters (``'aaaa…'`` when cut)."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit - 1] + "…")


class SecurityHeaders:
    """WSGI middleware: the security headers on every response the app sends (pages, API, errors,
    static files), unless a view set its own value for one of them."""

    def __init__(self, wsgi_app, headers: dict[str, str] | None = None):
        self.wsgi_app = wsgi_app
        self.headers = list((headers or SECURITY_HEADERS).items())

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = list(headers) + [(k, v) for k, v in self.headers if k.lower() not in present]
            return start_response(status, headers, exc_info)
        return self.wsgi_app(environ, start)


# What XML 1.0 cannot carry at all (C0 controls but tab, newline and return; lone surrogates;
# U+FFFE, U+FFFF): a feed's text has them removed, or its serializer refuses the whole document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    """``value`` as text an XML document can hold (the characters XML 1.0 forbids dropped)."""
    return _NOT_XML.sub("", str(value))

