"""S3 keys: decoding event keys, and mapping a source key to its slug and page key (DESIGN §4, §6).

Keys arrive URL-encoded in S3 event records (``+`` for a space, ``%2B`` for a plus, UTF-8 escapes).
:func:`decode_event_key` is the one place that decodes them, exactly once: Powertools' own event
wrappers disagree on whether a key is already decoded, so the pipeline reads the raw value and calls
this function.

Example:
    >>> decode_event_key("articles/Caf%C3%A9+Menu%2B2026.json")
    'articles/Café Menu+2026.json'
    >>> slug_from_key("articles/Café Menu+2026.json")
    'cafe-menu-2026'
    >>> page_key("hello-world", "amp/")
    'amp/hello-world/index.html'
    >>> amp_page_key("hello-world", "news/")
    'news/hello-world/amp/index.html'
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote_plus

__all__ = ["decode_event_key", "slug_from_key", "stem", "page_key", "amp_page_key",
           "is_source_key"]

def decode_event_key(raw: str) -> str:
    """Decode an S3 event record's ``object.key`` (form-encoded UTF-8) exactly once."""
    return unquote_plus(raw, encoding="utf-8", errors="strict")


def stem(key: str) -> str:
    """The file name of ``key`` without directory and extension: ``articles/a.b.json`` → ``a.b``;
    ``articles/.json`` → ``""`` (a name that is only an extension has no stem)."""
    name = posixpath.basename(key)
    return name[: name.rfind(".")] if "." in name else name


def slug_from_key(key: str) -> str:
    """The default slug of an article: its key's stem transliterated to ``[a-z0-9-]``
    (python-slugify), at most 120 chars, so it matches the contract's slug pattern.

    Raises ``ValueError`` when nothing usable is left (e.g. a stem of only punctuation).
    """
    from slugify import slugify

    slug = slugify(stem(key), max_length=120, lowercase=True)
    if not slug:
        raise ValueError(f"cannot derive a slug from the key {key!r}; set 'slug' in the article")
    return slug


def page_key(slug: str, output_prefix: str = "") -> str:
    """Where a page is stored in the site bucket: ``<output_prefix><slug>/index.html``."""
    return f"{output_prefix}{slug}/index.html"


def amp_page_key(slug: str, output_prefix: str = "") -> str:
    """Where an article's AMP twin is stored in paired mode (DESIGN §9):
    ``<output_prefix><slug>/amp/index.html``, read as ``/<output_prefix><slug>/amp/``."""
    from amp_publisher.core.site import AMP_TWIN_SEGMENT

    return f"{output_prefix}{slug}/{AMP_TWIN_SEGMENT}/index.html"


def is_source_key(key: str, prefix: str = "articles/", suffix: str = ".json") -> bool:
    """Whether ``key`` is an article source (DESIGN §1: prefix ``articles/``, suffix ``.json``)."""
    return key.startswith(prefix) and key.endswith(suffix) and len(key) > len(prefix) + len(suffix)
