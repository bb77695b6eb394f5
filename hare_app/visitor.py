"""Which browser is on the page: a per-browser secret that pairs a live session's link with
the browser that started it, so a link alone shows nobody else's profile.

Streamlit's XSRF protection (on by default) gives every browser a ``_streamlit_xsrf`` cookie
holding a random token, sent with every page load but never part of a URL; the cookie's value is
re-masked on each load (``2|mask|masked token|time``), so the token is unmasked before hashing.
Without that cookie (XSRF protection turned off) the browser is told apart by its address and
user agent, which is weaker: say so to whoever runs the server that way.
"""

from __future__ import annotations

import hashlib

import streamlit as st

XSRF_COOKIE = "_streamlit_xsrf"


def _unmasked(cookie: str) -> bytes | None:
    """The token inside a version-2 XSRF cookie (None when the cookie is not in that form)."""
    parts = cookie.split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if len(mask) != 4 or not masked:
        return None
    return bytes(b ^ mask[i % 4] for i, b in enumerate(masked))


def visitor_key(cookies: dict[str, str], address: str | None, user_agent: str | None) -> str:
    """A stable, non-reversible key for the browser behind these request details."""
    token = _unmasked(cookies.get(XSRF_COOKIE, ""))
    if token is not None:
        return "b:" + hashlib.sha256(token).hexdigest()[:32]
    # only strings count (a test harness may stand in objects for what a server would send)
    seen = "\n".join(v if isinstance(v, str) else "" for v in (address, user_agent)).encode()
    return "a:" + hashlib.sha256(seen).hexdigest()[:32]


def this_visitor() -> str:
    """The key of the browser on this page (see ``visitor_key``)."""
    return visitor_key(dict(st.context.cookies), st.context.ip_address,
                       st.context.headers.get("User-Agent"))
