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
from collections.abc import Sequence
from dataclasses import dataclass

from amp_publisher.core.conversion.images import ImageSizeResolver
from amp_publisher.core.conversion.report import ReportEntry, Reporter

__all__ = ["ConversionResult", "ReportEntry", "ImageSizeResolver", "convert_html",
           "convert_fragments", "FragmentsResult",
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
        css_read: UTF-8 bytes of raw CSS (``<style>`` text, ``style`` attributes) read.
    """

    html: str
    extensions: frozenset[str]
    css: str
    report: tuple[ReportEntry, ...]
    css_read: int = 0


def convert_html(html: str, *, inline: bool = False, base_url: str | None = None,
                 image_sizes: ImageSizeResolver | None = None,
                 css_budget: int | None = None,
                 css_read_limit: int | None = None) -> ConversionResult:
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
        css_read_limit: UTF-8 bytes of raw CSS to read before the rest is removed unread;
            ``None``: :data:`~amp_publisher.core.conversion.styles.CSS_READ_FACTOR` ×
            ``css_budget`` (no limit without a budget).

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
    from amp_publisher.core.conversion.tree import ParseNotes, parse_fragment

    ctx = ConversionContext(inline=inline, base_url=base_url, image_sizes=image_sizes,
                            css_budget=css_budget, css_read_limit=css_read_limit)
    notes = ParseNotes()
    root = parse_fragment(html, notes)
    _report_parse_notes(ctx.reporter, notes)
    html_out, _ = _converge(root, ctx)
    return ConversionResult(html=html_out, extensions=frozenset(ctx.extensions),
                            css="".join(ctx.css), report=ctx.reporter.entries,
                            css_read=ctx.css_read)


def _converge(root, ctx, *, watch=None) -> tuple[str, object]:
    """Run the conversion passes over ``root`` until one changes nothing; returns the output
    (serialized, trimmed) and the tree it was serialized from. ``watch(root, converted)`` is
    called before (``converted=False``) and after (``True``) each pass's steps."""
    from amp_publisher.core.conversion.pipeline import STEPS
    from amp_publisher.core.conversion.tree import (
        parse_again,
        parse_fragment,
        reparses_to_itself,
        serialize_children,
    )

    added: list[set[str]] = [set() for _ in STEPS]  # the components each step named, last run
    last_editor = None  # the last step that changed the tree the pass now runs on, if known
    for _ in range(MAX_PASSES):
        entries_before = len(ctx.reporter.entries)
        if watch is not None:
            watch(root, False)
        editor = None
        for index, step in enumerate(STEPS):
            if (last_editor is not None and index > last_editor and not ctx.css
                    and len(ctx.reporter.entries) == entries_before):
                # The steps from here on saw this very tree last pass (no step before them has
                # changed it since) and changed nothing: they would change nothing again. Steps
                # are deterministic and report every edit (report.py); the CSS budget they read
                # is the only other state that moves, hence the ``ctx.css`` condition.
                break
            ctx.extensions = set()  # what this step names; the pass's are recomputed below
            before = len(ctx.reporter.entries)
            step.run(root, ctx)
            added[index] = ctx.extensions
            if len(ctx.reporter.entries) > before:
                editor = index
        # the components the tree uses: each step's, from its last run on this tree
        ctx.extensions = set().union(*added)
        if watch is not None:
            watch(root, True)
        # whitespace around the fragment is insignificant; trimming it keeps the page compact
        html_out = serialize_children(root).strip(" \t\n\r\f")
        converted = root
        # A pass that changed nothing, on a tree the parser rebuilds from its own output:
        # converting the output again is a no-op. The parser's error recovery can build trees
        # it would not build again from their serialization (the adoption agency leaves an
        # <h2> directly in an <h2>, which re-parses as two siblings), so the output is parsed
        # once more to check, unless the tree holds nothing that recovery rebuilds; if it
        # moves, one more pass runs on it.
        if len(ctx.reporter.entries) == entries_before and (
                reparses_to_itself(root, html_out) or
                serialize_children(parse_fragment(html_out)).strip(" \t\n\r\f") == html_out):
            break
        # Convert the output again until nothing changes, so the result is idempotent by
        # construction. Two reasons a second pass finds work: edits can leave nesting the HTML
        # parser would not build (<li><noscript><li> unwrapped is <li><li>; an http iframe in a
        # link becomes a link in a link), which the re-parse turns into the browser's tree; and
        # removing junk can reveal what an earlier step looks for (a paragraph holding only a
        # YouTube URL once the <base> tag beside it is gone). A tree the parser would build
        # again as it is is kept, not parsed again (parse_again); then the next pass needs to
        # run only up to the last step that changed it.
        root, kept = parse_again(root, html_out)
        last_editor = editor if kept else None
    return html_out, converted


@dataclass(frozen=True)
class FragmentsResult:
    """Fragments converted together by :func:`convert_fragments`.

    Attributes:
        html: each fragment's AMP HTML, in the order given: what :func:`convert_html` returns
            for it alone.
        reports: each fragment's report entries, in the order :func:`convert_html` makes them.
        extensions: the AMP components the fragments use, all together.
    """

    html: tuple[str, ...]
    reports: tuple[tuple[ReportEntry, ...], ...]
    extensions: frozenset[str]


class _Apart(Exception):
    """The fragments cannot be converted together with the results of one by one."""


def convert_fragments(fragments: Sequence[str], *,
                      image_sizes: ImageSizeResolver | None = None) -> FragmentsResult | None:
    """Convert several fragments in one run of the conversion, each with the result
    :func:`convert_html` gives it alone (``convert_html(fragment, image_sizes=image_sizes)``).

    This is for the page writer's own markup (:mod:`amp_publisher.core.body`): each fragment is
    one element with escaped text and attribute values (a ``<figure>`` of an image, video or
    audio, a gallery's ``<ul>``). A conversion has a fixed cost (the passes of every step, the
    parses and serializations) that dominates for such small fragments, so a page's media
    blocks and hero image cost one instead of one each.

    Each fragment is parsed alone (the same tree and parse notes as alone); then one tree holds
    them side by side and every pass runs over it. An entry belongs to the fragment holding the
    element it names (:meth:`~amp_publisher.core.conversion.report.Reporter.record`'s ``el``).

    Args:
        fragments: body HTML fragments, each one element.
        image_sizes: the resolver :func:`convert_html` would be given.

    Returns:
        A :class:`FragmentsResult`, or ``None`` when converting together could differ from one
        by one; then convert each with :func:`convert_html`. That is when a fragment is not one
        element (or the converted tree stops holding one element per fragment), when a change
        cannot be told apart by fragment, when the fragments hold CSS, when the combined tree
        exceeds the element budget, and when an image needs measuring: the resolver would be
        asked once for all, where one by one it is asked per fragment in turn (its probe budget
        is the article's), so nothing is measured here. Nothing raised.
    """
    from amp_publisher.core.conversion.context import ConversionContext
    from amp_publisher.core.conversion.tree import ParseNotes, parse_fragment, serialize_element
    from amp_publisher.core.errors import ConversionError

    count = len(fragments)
    reporter = _FragmentReporter(count)
    ctx = ConversionContext(image_sizes=_NoMeasuring.like(image_sizes), reporter=reporter)
    try:
        root = None
        for i, fragment in enumerate(fragments):
            notes = ParseNotes()
            tree = parse_fragment(fragment, notes)
            _report_parse_notes(reporter.fragment(i), notes)
            if len(tree) != 1 or not _is_element(tree[0]) or _text(tree.text) or \
                    _text(tree[0].tail):
                return None
            if root is None:
                root = tree
            else:
                root.append(tree[0])
        if root is None:
            return FragmentsResult((), (), frozenset())
        _, converted = _converge(root, ctx, watch=reporter.watch)
    except (_Apart, _Measuring, ConversionError):
        return None
    if ctx.css:
        return None
    return FragmentsResult(html=tuple(serialize_element(el) for el in converted),
                           reports=reporter.by_fragment(), extensions=frozenset(ctx.extensions))


def _is_element(node) -> bool:
    return isinstance(node.tag, str)


def _text(text: str | None) -> bool:
    """Whether ``text`` holds more than HTML whitespace."""
    return bool(text and text.strip(" \t\n\r\f"))


class _FragmentReporter(Reporter):
    """The reporter of :func:`convert_fragments`: each entry also goes to the fragment whose
    element (a child of the tree's root) holds the element it names."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self._count = count
        self._lists: list[list[ReportEntry]] = [[] for _ in range(count)]
        self._root = None

    def fragment(self, index: int) -> Reporter:
        """A reporter whose entries go to fragment ``index`` (its parse notes)."""
        outer = self

        class _One(Reporter):
            def record(self, *args, **kwargs) -> None:
                super().record(*args, **kwargs)
                outer._lists[index].append(self._entries[-1])
                outer._entries.append(self._entries[-1])

        return _One()

    def watch(self, root, converted: bool) -> None:
        """Follow the tree of each pass; after its steps, it must still hold one element per
        fragment and no text between them (else entries could be misattributed)."""
        self._root = root
        if len(root) != self._count or _text(root.text) or \
                any(not _is_element(el) or _text(el.tail) for el in root):
            raise _Apart

    def record(self, *args, el=None, **kwargs) -> None:
        """:meth:`Reporter.record`, attributed by ``el`` (raises :class:`_Apart` without)."""
        top = el
        while top is not None and top.getparent() is not self._root:
            top = top.getparent()
        if top is None:
            raise _Apart
        super().record(*args, el=el, **kwargs)
        self._lists[self._root.index(top)].append(self._entries[-1])

    def by_fragment(self) -> tuple[tuple[ReportEntry, ...], ...]:
        return tuple(tuple(entries) for entries in self._lists)


class _Measuring(Exception):
    """An image would be measured (:func:`convert_fragments` then gives up)."""


class _NoMeasuring:
    """Stands in for an image-size resolver: asking it anything ends the conversion."""

    @staticmethod
    def like(resolver):
        if resolver is None:
            return None
        return _NoBatchMeasuring() if callable(getattr(resolver, "sizes", None)) else \
            _NoMeasuring()

    def size(self, src: str):
        raise _Measuring


class _NoBatchMeasuring(_NoMeasuring):
    def sizes(self, srcs):
        raise _Measuring


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
