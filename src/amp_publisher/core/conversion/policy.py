"""The embed and ad policy: which hosts become which AMP component, which are dropped as ads,
analytics or trackers, and how any other frame is sandboxed. The policy itself is data,
``embed_policy.json`` beside this module; this module only reads it and matches URLs.

A policy entry is a host (``doubleclick.net``: that host and every subdomain) or a host with a
path prefix (``facebook.com/tr``: only URLs whose path starts with ``/tr``). Matching reads URLs
as a browser does (``//host/x`` is https; the host is lower-cased; a trailing dot is ignored).

Example:
    >>> blocked_by("https://securepubads.g.doubleclick.net/gampad/ads?x=1")
    ('advertising', 'doubleclick.net')
    >>> blocked_by("https://www.facebook.com/tr?id=1&ev=PageView")
    ('tracking', 'facebook.com/tr')
    >>> blocked_by("https://www.facebook.com/plugins/post.php") is None
    True
    >>> component_provider("https://www.dailymotion.com/embed/video/x8abc")
    'dailymotion'
    >>> trusted_frame("https://www.google.com/maps/embed?pb=!1m18")
    'Google Maps'
    >>> "allow-same-origin" in sandbox_for("https://polls.example/embed/1")
    False
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

__all__ = [
    "POLICY_FILE",
    "BLOCKED_CATEGORIES",
    "blocked_by",
    "component_provider",
    "component_for",
    "trusted_frame",
    "sandbox_for",
    "host_of",
]

POLICY_FILE = "embed_policy.json"
"""The policy data file, in this package (``amp_publisher.core.conversion``)."""

BLOCKED_CATEGORIES = ("advertising", "analytics", "tracking")
"""The categories of ``blocked`` hosts in the policy file."""


@cache
def _policy() -> dict:
    text = resources.files(__package__).joinpath(POLICY_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _entry(entry: str) -> tuple[str, str]:
    host, _, path = entry.partition("/")
    return host.lower(), ("/" + path) if path else ""


def host_of(url: str) -> str:
    """The URL's host, lower case, without a trailing dot ("" when there is none).

    Example:
        >>> host_of("//Player.Vimeo.com./video/1"), host_of("not a url")
        ('player.vimeo.com', '')
    """
    url = (url or "").strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def _matches(url: str, entries) -> str | None:
    """The first entry of ``entries`` matching ``url``, or ``None``."""
    host = host_of(url)
    if not host:
        return None
    try:
        path = urlsplit("https:" + url.strip() if url.strip().startswith("//")
                        else url.strip()).path
    except ValueError:
        return None
    for entry in entries:
        entry_host, entry_path = _entry(entry)
        if (host == entry_host or host.endswith("." + entry_host)) and \
                path.startswith(entry_path):
            return entry
    return None


def blocked_by(url: str) -> tuple[str, str] | None:
    """``(category, entry)`` when ``url`` loads from an ad, analytics or tracking host of the
    policy (category one of :data:`BLOCKED_CATEGORIES`), else ``None``."""
    blocked = _policy()["blocked"]
    for category in BLOCKED_CATEGORIES:
        entry = _matches(url, blocked[category])
        if entry:
            return category, entry
    return None


def component_provider(url: str) -> str | None:
    """The embed provider (``youtube``, ``dailymotion``, …) whose hosts ``url`` is on, or
    ``None``; whether the URL is an embeddable item is up to that provider's URL parser."""
    for provider, spec in _policy()["components"].items():
        if provider != "about" and _matches(url, spec["hosts"]):
            return provider
    return None


def component_for(provider: str) -> str:
    """The AMP component of ``provider`` (``"amp-dailymotion"``).

    Raises:
        KeyError: ``provider`` is not in the policy's ``components``.
    """
    return _policy()["components"][provider]["component"]


def trusted_frame(url: str) -> str | None:
    """The name of the trusted embed player (``"Google Maps"``) ``url`` belongs to, or ``None``."""
    for name, entries in _policy()["trusted_frames"]["frames"].items():
        if _matches(url, entries):
            return name
    return None


def sandbox_for(url: str) -> str:
    """The ``sandbox`` an ``amp-iframe`` of ``url`` gets: the trusted frames' (with
    ``allow-same-origin``) for a trusted player, else the other frames' (without it). An author's
    sandbox is only ever narrowed to this set (amp-iframe docs: "sandbox")."""
    policy = _policy()
    if trusted_frame(url):
        return policy["trusted_frames"]["sandbox"]
    return policy["other_frames"]["sandbox"]
