"""Body HTML → AMP: the conversion pipeline (issue 4 items 1, 3, 4).

``convert_html`` parses body HTML (``body_html``, ``html`` blocks, inline ``html`` fields) with
an HTML5 parser, runs the steps of :data:`~amp_publisher.core.conversion.pipeline.STEPS` in their
declared order (clipboard wrappers, meaning, embeds, scripts, noscript, images, media, galleries,
iframes, forms, components, styles, headings, phrasing, mobile fit, the generic rules pass) and
returns AMP-ready markup, the AMP components it uses, the CSS moved out of it and a report of
every change. ``render_embed`` builds the component markup for the article's ``embed`` blocks.

Example:
    >>> result = convert_html('<p onclick="x()">Hi <font>there</font></p>'
    ...                       '<p>https://youtu.be/dQw4w9WgXcQ</p>')
    >>> print(result.html)
    <p>Hi there</p><amp-youtube data-videoid="dQw4w9WgXcQ" layout="responsive" width="480" \
height="270"></amp-youtube>
    >>> sorted(result.extensions), [e.code for e in result.report]
    (['amp-youtube'], ['CONVERTED_EMBED', 'DISALLOWED_ATTR', 'DISALLOWED_TAG'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amp_publisher.core.conversion.images import ImageSizeResolver
from amp_publisher.core.conversion.report import ReportEntry

__all__ = ["ConversionResult", "ReportEntry", "ImageSizeResolver", "convert_html",
           "render_embed", "EMBED_PROVIDERS", "EMBED_ID_PATTERNS", "MAX_PASSES"]

MAX_PASSES = 4
"""Conversion passes at most. A body that needs changes takes two: the conversion, and a check
that converting its output again changes nothing; a third is rare (see :func:`convert_html`)."""

EMBED_PROVIDERS = ("youtube", "vimeo", "twitter", "instagram", "facebook", "soundcloud",
                   "iframe")
"""Providers of the article contract's ``embed`` blocks (DESIGN §3)."""

EMBED_ID_PATTERNS = {
    "youtube": r"[A-Za-z0-9_-]{6,}",
    "vimeo": r"[0-9]+",
    "twitter": r"[0-9]+",
    "instagram": r"[A-Za-z0-9_-]+",
    "soundcloud": r"[0-9]+",
}
"""What an ``embed`` block's ``id`` must match, per provider: YouTube video ids and Instagram
shortcodes are URL-safe base64 (amp-youtube's ``data-videoid`` rule only excludes ``=/?:``,
which still lets markup and control characters through); Vimeo video, tweet and SoundCloud
track ids are numeric (their components' ``[0-9]+`` rules)."""

_CONTROL_OR_SPACE = re.compile("[\x00-\x20\x7f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class ConversionResult:
    """The converted body.

    Attributes:
        html: AMP-ready fragment, serialized HTML (no ``<html>``/``<body>``).
        extensions: AMP components the fragment uses (``{"amp-youtube", "amp-anim"}``); the page
            must load exactly these extension scripts (plus the theme's).
        css: CSS moved from the body, for ``<style amp-custom>`` after the theme's ("" if none).
        report: every removal and rewrite, in the order made.
    """

    html: str
    extensions: frozenset[str]
    css: str
    report: tuple[ReportEntry, ...]


def convert_html(html: str, *, inline: bool = False, base_url: str | None = None,
                 image_sizes: ImageSizeResolver | None = None,
                 css_budget: int | None = None) -> ConversionResult:
    """Convert body HTML into an AMP-ready fragment.

    Args:
        html: body HTML as a CMS wrote it (fragment or whole document; any garbage).
        inline: keep phrasing content only (inline ``html`` of paragraph/quote blocks).
        base_url: absolute URL of the article's original page; relative URLs are resolved
            against it. Without it relative URLs are kept as they are.
        image_sizes: resolver of image dimensions (``size(src) -> (w, h) | None``); without one,
            or when it returns ``None``, images get the documented fallback size
            (:data:`~amp_publisher.core.conversion.images.FALLBACK_SIZE`, ``layout="responsive"``).
        css_budget: UTF-8 bytes the body's CSS may take (75,000 minus the theme's CSS), or
            ``None`` to return it all (see :mod:`~amp_publisher.core.conversion.styles`).

    Returns:
        A :class:`ConversionResult`. Deterministic (same input, same bytes) and idempotent
        (converting ``result.html`` again returns it unchanged).

    Raises:
        Nothing else for bad HTML: everything the rules disallow is removed or unwrapped and
        reported. (Errors of a broken installation, such as missing rules data, propagate.)
        amp_publisher.core.errors.ConversionError: the body holds more than
        :data:`~amp_publisher.core.conversion.tree.MAX_ELEMENTS` start tags or elements
        (permanent: the same body always fails).

        Other hostile input is bounded, each change reported: control characters are removed,
        elements keep at most :data:`~amp_publisher.core.conversion.tree.MAX_ATTRIBUTES_PER_ELEMENT`
        attributes, markup deeper than :data:`~amp_publisher.core.conversion.tree.MAX_ELEMENT_DEPTH`
        is flattened to its text, and CSS the validator would refuse is dropped; styling and
        serializing are linear in the input's size, parsing at worst quadratic in the element
        budget (deep nesting).
    """
    from amp_publisher.core.conversion.context import ConversionContext
    from amp_publisher.core.conversion.pipeline import run_steps
    from amp_publisher.core.conversion.tree import ParseNotes, parse_fragment, serialize_children

    ctx = ConversionContext(inline=inline, base_url=base_url, image_sizes=image_sizes,
                            css_budget=css_budget)
    notes = ParseNotes()
    root = parse_fragment(html, notes)
    _report_parse_notes(ctx.reporter, notes)
    for _ in range(MAX_PASSES):
        entries_before = len(ctx.reporter.entries)
        ctx.extensions.clear()  # recomputed by the generic pass from what is in the tree
        run_steps(root, ctx)
        # whitespace around the fragment is insignificant; trimming it keeps the page compact
        html_out = serialize_children(root).strip(" \t\n\r\f")
        # A pass that changed nothing, on a tree the parser rebuilds from its own output:
        # converting the output again is a no-op. The parser's error recovery can build trees
        # it would not build again from their serialization (the adoption agency leaves an
        # <h2> directly in an <h2>, which re-parses as two siblings), so the output is parsed
        # once more to check; if it moves, one more pass runs on it.
        if (len(ctx.reporter.entries) == entries_before and
                serialize_children(parse_fragment(html_out)).strip(" \t\n\r\f") == html_out):
            break
        # Convert the output again until nothing changes, so the result is idempotent by
        # construction. Two reasons a second pass finds work: edits can leave nesting the HTML
        # parser would not build (<li><noscript><li> unwrapped is <li><li>; an http iframe in a
        # link becomes a link in a link), which the re-parse turns into the browser's tree; and
        # removing junk can reveal what an earlier step looks for (a paragraph holding only a
        # YouTube URL once the <base> tag beside it is gone).
        root = parse_fragment(html_out)
    return ConversionResult(html=html_out, extensions=frozenset(ctx.extensions),
                            css="".join(ctx.css), report=ctx.reporter.entries)


def _report_parse_notes(reporter, notes) -> None:
    """Report what :func:`~amp_publisher.core.conversion.tree.parse_fragment` changed."""
    from amp_publisher.core.conversion.report import AMP_SPEC_URL
    from amp_publisher.core.conversion.tree import MAX_ATTRIBUTES_PER_ELEMENT, MAX_ELEMENT_DEPTH

    if notes.removed_characters:
        reporter.record("INVALID_CHARACTER", "removed", "#text",
                        detail=f"{notes.removed_characters} control character(s), U+FFFE/U+FFFF "
                        "or lone surrogate(s) removed: HTML renders none of them",
                        rule=AMP_SPEC_URL)
    for tag, count in notes.dropped_attributes:
        reporter.record("TOO_MANY_ATTRIBUTES", "removed", tag,
                        detail=f"{count} attribute(s) after the first "
                        f"{MAX_ATTRIBUTES_PER_ELEMENT} removed", rule=AMP_SPEC_URL)
    for tag, text in notes.flattened:
        reporter.record("NESTING_TOO_DEEP", "unwrapped", tag,
                        detail=f"markup nested deeper than {MAX_ELEMENT_DEPTH} elements replaced "
                        f"by its text ({text[:60]!r})", rule=AMP_SPEC_URL)


def render_embed(provider: str, *, id: str | None = None, url: str | None = None,
                 ) -> ConversionResult:
    """The AMP component markup for an article ``embed`` block (DESIGN §3).

    Args:
        provider: one of :data:`EMBED_PROVIDERS`.
        id: the provider's id (YouTube/Vimeo video id, tweet id, Instagram shortcode,
            SoundCloud track id); for ``facebook`` and ``iframe`` use ``url``.
        url: the item's URL (a page or player URL of the provider; for ``iframe`` the https URL
            to frame).

    Returns:
        A :class:`ConversionResult` with the component and its extension.

    Raises:
        amp_publisher.core.errors.ConversionError: unknown provider, neither ``id`` nor ``url``, an
        ``id`` not matching :data:`EMBED_ID_PATTERNS`, a URL that is not the provider's or holds
        whitespace or control characters, or a non-https iframe URL (the article cannot be
        rendered as its author meant; fix the block). Nothing else is raised.

    Example:
        >>> print(render_embed("vimeo", id="76979871").html)
        <amp-vimeo data-videoid="76979871" layout="responsive" width="480" height="270"></amp-vimeo>
    """
    from amp_publisher.core.conversion.embeds import build_embed, embed_for_url
    from amp_publisher.core.conversion.iframes import build_amp_iframe
    from amp_publisher.core.conversion.report import Reporter
    from amp_publisher.core.conversion.tree import new_element, serialize_children
    from amp_publisher.core.conversion.urls import url_protocol
    from amp_publisher.core.errors import ConversionError

    if provider not in EMBED_PROVIDERS:
        raise ConversionError(f"unknown embed provider {provider!r}; use one of "
                              f"{', '.join(EMBED_PROVIDERS)}", path="provider")
    if not id and not url:
        raise ConversionError(f"{provider} embed needs an id or a url", path="id")
    reporter = Reporter()
    if url is not None:
        url = str(url).strip(" \t\n\r\f")  # HTML's whitespace, as around an attribute value
        if _CONTROL_OR_SPACE.search(url):
            raise ConversionError(f"embed url {url!r} holds whitespace or control characters",
                                  path="url")
    if provider == "iframe":
        if not url or url_protocol(url) != "https":
            raise ConversionError("iframe embeds need an https url (amp-iframe loads only https)",
                                  path="url")
        element, extension = build_amp_iframe(url), "amp-iframe"
    else:
        params: dict[str, str] | None = None
        if url:
            found = embed_for_url(url)
            if found is None or found[0] != provider:
                raise ConversionError(f"{url!r} is not a {provider} URL this renderer knows",
                                      path="url")
            params = found[1]
        else:
            key = {"youtube": "videoid", "vimeo": "videoid", "twitter": "tweetid",
                   "instagram": "shortcode", "soundcloud": "trackid"}.get(provider)
            if key is None:
                raise ConversionError(f"{provider} embeds need a url", path="url")
            params = {key: str(id)}
            pattern = EMBED_ID_PATTERNS[provider]
            if not re.fullmatch(pattern, str(id)):
                raise ConversionError(f"{provider} id {id!r} is not valid: it must match "
                                      f"{pattern}", path="id")
        element, extension = build_embed(provider, params)
    box = new_element("div")
    box.append(element)
    return ConversionResult(html=serialize_children(box), extensions=frozenset({extension}),
                            css="", report=reporter.entries)
