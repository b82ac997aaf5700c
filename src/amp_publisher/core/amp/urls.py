"""URL, protocol and srcset values as the official AMP validator reads them: one home for the
converter and the validator.

The validator (:mod:`amp_publisher.core.amp.validator`) reports what these functions find; the
conversion steps (:mod:`amp_publisher.core.conversion.generic`, ``images``) call the same
functions to decide what to keep, so "what the converter keeps, the validator passes" holds by
construction and both report the same codes (``INVALID_URL``, ``INVALID_URL_PROTOCOL``,
``DISALLOWED_RELATIVE_URL``, ``MISSING_URL``, ``DUPLICATE_DIMENSION``, ``INVALID_ATTR_VALUE``).

Sources: the official engine's ``validateAttrValueUrl`` (validator.js), its URL parser
(parse-url.js) and srcset parser (parse-srcset.cc, the HTML standard's "parse a srcset
attribute" restricted to what AMP accepts); ``UrlSpec`` in validator.proto.

Example:
    >>> check_url("javascript:alert(1)", UrlSpec(("http", "https")), "href", "a")
    [('INVALID_URL_PROTOCOL', ['href', 'a', 'javascript'])]
    >>> [tuple(c) for c in parse_srcset("https://res.cloudinary.com/x/c_fill,f_auto/a.jpg 2x")]
    [('https://res.cloudinary.com/x/c_fill,f_auto/a.jpg', '2x')]
"""

from __future__ import annotations

import re
from typing import NamedTuple

from amp_publisher.core.amp.rules import UrlSpec

__all__ = [
    "SrcsetCandidate",
    "SrcsetError",
    "parse_srcset",
    "srcset_problem",
    "url_scheme",
    "url_protocol",
    "malformed_url",
    "unescape_xml_entities",
    "check_url",
    "check_url_value",
]


#: One srcset image candidate as the official validator's srcset parser reads it
#: (parse-srcset.cc ``ParseSourceSet``): a URL of two or more non-space characters neither
#: starting nor ending with a comma, an optional width or pixel-density descriptor, an optional
#: comma. ``\s`` is ASCII whitespace there (RE2), hence the explicit classes.
_SRCSET_CANDIDATE = re.compile(
    r"[\t\n\f\r ]*(?:,[\t\n\f\r ]*)?"
    r"([^,\t\n\f\r ][^\t\n\f\r ]*[^,\t\n\f\r ])[\t\n\f\r ]*"
    r"([1-9][0-9]*[wx]|[1-9][0-9]*\.[0-9]+x|0\.[0-9]*[1-9][0-9]*x)?"
    r"[\t\n\f\r ]*(?:(,)[\t\n\f\r ]*)?"
)


def _parse_srcset_urls(value: str) -> tuple[str | None, list[tuple[str, str]]]:
    """Split a ``srcset`` value into its candidate URLs, as the official validator does.

    Returns:
        ``(error code or None, [(url, descriptor)])``; the code is ``DUPLICATE_DIMENSION`` when two
        candidates share a descriptor (none counts as ``1x``), ``INVALID_ATTR_VALUE`` when the
        value is not a comma-separated list of candidates (empty candidates, two descriptors,
        a descriptor like ``1e999w``, no candidate at all).
    """
    urls: list[tuple[str, str]] = []
    seen: set[str] = set()
    pos = 0
    while pos < len(value):
        m = _SRCSET_CANDIDATE.match(value, pos)
        if m is None:
            break
        descriptor = m.group(2) or "1x"
        if descriptor in seen:
            return "DUPLICATE_DIMENSION", urls
        seen.add(descriptor)
        urls.append((m.group(1), m.group(2) or ""))
        pos = m.end()
        if pos < len(value) and not m.group(3):
            return "INVALID_ATTR_VALUE", urls  # a second candidate needs a comma before it
    if pos < len(value) or not urls:
        return "INVALID_ATTR_VALUE", urls
    return None, urls


#: The protocol as the official validator extracts it for the protocol check (``urlProtocol``
#: in validator.js: deliberately broader than RFC 3986, so ``java\nscript:`` is caught too).
_PROTOCOL_RE = re.compile(r"([^:/?#.]+):[^\n\r\u2028\u2029]*\Z")
#: Characters the official URL parser refuses in a host name (parse-url.js
#: ``hostCharIsValid``), besides control characters.
_HOST_INVALID = frozenset(' !"#$%&\'()*+,/:;<=>?[\\]^`{|}~')


#: An entity reference as goog.string's pure-XML unescaping finds one (length-bounded here so
#: a value of many ``&`` stays linear).
_XML_ENTITY = re.compile(r"&([^;&]{1,32});")
_XML_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}


def unescape_xml_entities(text: str) -> str:
    """Decode ``&amp;`` ``&lt;`` ``&gt;`` ``&quot;`` and numeric references once more, as the
    official validator does to each URL before checking it (``goog.string.unescapeEntities``
    outside a browser), so ``javascript&amp;#58;`` in the markup is still a javascript: URL."""
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        entity = m.group(1)
        if entity in _XML_NAMED:
            return _XML_NAMED[entity]
        if entity.startswith("#"):
            number = "0" + entity[1:]  # JavaScript's Number("0" + rest): "0x.." is hex
            try:
                code = int(number[2:], 16) if number[:2] in ("0x", "0X") else int(number, 10)
            except ValueError:
                return m.group(0)
            return chr(code % 0x10000)  # String.fromCharCode keeps 16 bits
        return m.group(0)

    return _XML_ENTITY.sub(one, text)


def url_scheme(url: str) -> str | None:
    """The scheme of ``url`` as the official URL parser finds it (letters, digits, ``+``, ``-``
    before the first colon), lower case; None for a relative URL."""
    url = re.sub(r"[\t\r\n]", "", url.strip())
    head, colon, _ = url.partition(":")
    if not colon or not all(c.isascii() and (c.isalnum() or c in "+-") for c in head):
        return None
    return head.lower()


def malformed_url(url: str) -> bool:
    """True when the official validator reports "Malformed URL" (``INVALID_URL``) for ``url``.

    Its parser (parse-url.js) checks only the authority of ``http``/``https``/``ftp``/``sftp``
    and scheme-relative (``//host``) URLs: a host must be present, valid after
    percent-decoding (UTF-8, none of :data:`_HOST_INVALID`, no leading dot or ``..``), an
    IPv6 literal well formed, a port a number up to 65535. The authority is split by
    ``urllib.parse`` (which also refuses unbalanced or invalid ``[...]`` hosts and bad ports)
    rather than by hand.
    """
    from urllib.parse import unquote, urlsplit

    text = re.sub(r"[\t\r\n]", "", url.strip())
    scheme = url_scheme(text)
    rest = text.partition(":")[2] if scheme is not None else text
    if scheme is not None and scheme not in ("http", "https", "ftp", "sftp"):
        return False
    if not rest.startswith("//"):
        return False
    try:
        parts = urlsplit(rest)
        parts.port  # noqa: B018 (raises ValueError for a bad or out-of-range port)
        hostinfo = parts.netloc.rpartition("@")[2]
        if hostinfo.startswith("["):
            return not parts.hostname
        host = unquote(hostinfo.partition(":")[0], errors="strict")
    except (ValueError, UnicodeDecodeError):
        return True
    return (
        not host
        or host.startswith(".")
        or ".." in host
        or any(c in _HOST_INVALID or c < " " or c == "\x7f" for c in host)
    )


class SrcsetCandidate(NamedTuple):
    """One image candidate of a ``srcset``: its URL and descriptor (``"640w"``, ``"2x"`` or
    ``""``, which counts as ``1x``)."""

    url: str
    descriptor: str


class SrcsetError(ValueError):
    """A ``srcset`` the official validator refuses; ``code`` is ``INVALID_ATTR_VALUE`` or
    ``DUPLICATE_DIMENSION``."""

    def __init__(self, code: str, value: str) -> None:
        super().__init__(f"{code}: {value[:80]!r}")
        self.code = code


def srcset_problem(value: str) -> str | None:
    """The error code the official validator gives a ``srcset`` value, or None when it parses.

    >>> srcset_problem("a.jpg 1x, b.jpg 1x"), srcset_problem("a.jpg 0w"), srcset_problem("a.jpg")
    ('DUPLICATE_DIMENSION', 'INVALID_ATTR_VALUE', None)
    """
    return _parse_srcset_urls(value)[0]


def parse_srcset(value: str) -> list[SrcsetCandidate] | None:
    """Parse a ``srcset`` attribute into its image candidates, as the HTML standard's "parse a
    srcset attribute" does in the form AMP accepts (the official parse-srcset.cc).

    A URL is two or more non-whitespace characters neither starting nor ending with a comma,
    so it may contain commas (Cloudinary's ``/c_fill,f_auto,q_80/``); a candidate ends at a
    comma after whitespace or after its descriptor (``Nw``, ``Nx``, ``N.Nx``; ``N`` > 0).

    Returns:
        The candidates in order, or None when the value is not a valid srcset (empty, two
        descriptors, ``0w``, a duplicate descriptor): the validator reports
        :func:`srcset_problem` then.

    >>> [tuple(c) for c in parse_srcset("a.jpg 300w,b.jpg 600w")]
    [('a.jpg', '300w'), ('b.jpg', '600w')]
    """
    code, urls = _parse_srcset_urls(value)
    if code is not None:
        return None
    return [SrcsetCandidate(url, descriptor) for url, descriptor in urls]


def url_protocol(url: str) -> str:
    """The protocol the official validator checks against a ``UrlSpec`` (``urlProtocol``):
    the text before the first ``:`` (no ``/?#.`` in it), lower case, leading whitespace
    dropped; ``""`` for a relative URL. Broader than RFC 3986 on purpose: ``java\nscript:``
    and a Unicode space before ``javascript:`` are caught.

    >>> url_protocol("\u2028javascript:alert(1)"), url_protocol("/a:b"), url_protocol("HTTPS://x")
    ('javascript', '', 'https')
    """
    m = _PROTOCOL_RE.match(url)
    return m.group(1).lower().lstrip() if m else (url_scheme(url) or "")


def check_url(url: str, url_spec: UrlSpec, attr_name: str, tag: str) -> list[tuple[str, list[str]]]:
    """Problems of one URL against a ``UrlSpec``, as ``validateAttrValueUrl`` reports them.

    The URL is first decoded once more for XML entities (as the official validator does
    outside a browser). Checked in order: empty (``MISSING_URL`` unless ``allow_empty``),
    malformed (``INVALID_URL``), protocol not allowed (``INVALID_URL_PROTOCOL``), relative
    where not allowed (``DISALLOWED_RELATIVE_URL``).

    Returns:
        ``[(code, params)]`` with the official message parameters; empty when valid.
    """
    url = unescape_xml_entities(url)
    if not url.strip(" \t\n\r\f\v\xa0"):
        return [] if url_spec.allow_empty else [("MISSING_URL", [attr_name, tag])]
    if malformed_url(url):
        return [("INVALID_URL", [attr_name, tag, url])]
    protocol = url_protocol(url)
    if protocol and protocol not in url_spec.protocols:
        return [("INVALID_URL_PROTOCOL", [attr_name, tag, protocol])]
    if not url_spec.allow_relative and not url_scheme(url):
        return [("DISALLOWED_RELATIVE_URL", [attr_name, tag, url.strip()])]
    return []


def check_url_value(
    value: str, url_spec: UrlSpec, attr_name: str, tag: str
) -> list[tuple[str, list[str]]]:
    """Problems of a URL-valued attribute (``value_url``): a ``srcset`` / ``imagesrcset`` is
    parsed into candidates first (``MISSING_URL`` when empty, ``INVALID_ATTR_VALUE`` /
    ``DUPLICATE_DIMENSION`` when it does not parse), then each distinct URL is checked by
    :func:`check_url`; the first problem is returned, as the official engine reports one.

    Returns:
        ``[(code, params)]``, at most one entry; empty when the value is valid.
    """
    if attr_name in ("srcset", "imagesrcset"):
        if value == "":
            return [("MISSING_URL", [attr_name, tag])]
        code, candidates = _parse_srcset_urls(value)
        if code == "DUPLICATE_DIMENSION":
            return [(code, [attr_name, tag])]
        if code is not None:
            return [(code, [attr_name, tag, value])]
        urls = [url for url, _ in candidates]
    else:
        urls = [value]
    for url in sorted(set(urls)):
        problems = check_url(url, url_spec, attr_name, tag)
        if problems:
            return problems
    return []
