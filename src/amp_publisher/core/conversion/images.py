"""Step 4: ``<img>`` → ``<amp-img>`` (GIF → ``<amp-anim>``), ``<picture>`` → its best image.

Rules applied (amp.dev ``amp-img``/``amp-anim`` docs and their validator tag specs):

* An AMP image needs ``src`` (or ``srcset``) and, to lay out before it loads, both ``width`` and
  ``height``. Dimensions come from the tag (``width="20px"`` is read as 20), else from the
  :class:`ImageSizeResolver` (the image's header bytes), else :data:`FALLBACK_SIZE` with
  ``layout="responsive"``. Known sizes use ``layout="intrinsic"``: the image scales down to the
  column but never up beyond its natural size, which is what an ``<img>`` did.
* Lazy-loading attributes (``data-src``, ``data-lazy-src``, ``data-original``, ``data-srcset``)
  are promoted to ``src``/``srcset`` (AMP loads lazily by itself); ``loading`` and ``decoding``
  are dropped (not in the amp-img tag spec, and AMP schedules loading itself).
* ``sizes`` comes with ``disable-inline-width``: it selects the srcset candidate only, never
  the image's laid-out width (which would overflow a phone).
* ``data-amp-layout`` (the WordPress AMP plugin's attribute for the same purpose) chooses the
  AMP layout of an image whose writer knows the page: any layout ``amp-img`` supports
  (``responsive`` fills the column, as the theme's own images do). Such an image speaks AMP's
  layout language: its ``sizes`` is AMP's layout ``sizes``, which sets the element's width
  (amp.dev "Layout system": ``sizes``), so it is kept without a ``srcset`` and gets no
  ``disable-inline-width``. A layout ``amp-img`` does not support is dropped and reported.
* ``srcset`` is kept when valid (``url Nw``/``url Nx`` candidates, no duplicates, loadable URLs),
  else dropped with ``sizes``; ``sizes`` without a valid ``srcset`` is dropped.
* ``src`` must be loadable: http(s), ``data:`` of an image type, or relative (resolved against
  ``base_url`` when given). ``file:``, ``blob:``, ``about:`` and other protocols can never load for
  a reader, so such an image is removed (``INVALID_URL_PROTOCOL``).
* Images no larger than :data:`SPACER_MAX_PX` in both dimensions and without ``alt`` are layout
  spacers / tracking pixels from table layouts; they are removed.
* Tracking pixels are removed whatever their ``alt`` (``REMOVED_AD_OR_TRACKER``): images from an
  ad, analytics or tracking host of the embed policy
  (:func:`~amp_publisher.core.conversion.policy.blocked_by`), and images at most
  :data:`PIXEL_MAX_PX` wide or high, by their attributes, their inline style or their file
  (a 1×1 beacon must never become a 600×400 box).
* ``<picture>``: its ``<img>`` becomes the AMP image; its ``<source>`` candidates (of types every
  browser decodes) are merged into one ``srcset`` by width, the form ``amp-img`` supports.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<img src="https://x.test/a.png" width="20px" height="10" '
    ...                       'loading="lazy" alt="A">')
    >>> ImageStep().run(root, ctx)
    >>> print(serialize_children(root))
    <amp-img src="https://x.test/a.png" width="20" height="10" layout="intrinsic" alt="A"></amp-img>
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from amp_publisher.core.amp.layout import LAYOUTS, parse_dimension, valid_sizes
from amp_publisher.core.amp.urls import check_url_value, malformed_url
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.policy import blocked_by, host_of
from amp_publisher.core.conversion.report import (
    remove_attribute,
    remove_element,
    replace_element,
    set_attribute,
)
from amp_publisher.core.conversion.tree import iter_elements, new_element, tag_of
from amp_publisher.core.conversion.urls import (
    parse_srcset,
    resolve_url,
    url_protocol,
)
from amp_publisher.core.image_sizes import ImageSizeResolver, data_uri_size

# tracking pixels: AMP's own, consented way to count views is amp-pixel (docs/conversion.md)
POLICY_DOC = "https://amp.dev/documentation/components/amp-pixel/"
_OVER_BUDGET = object()  # marks images the resolver did not measure: the probe budget ran out

__all__ = [
    "FALLBACK_SIZE",
    "FALLBACK_CLASS",
    "SPACER_MAX_PX",
    "PIXEL_MAX_PX",
    "IMAGE_PROTOCOLS",
    "ImageSizeResolver",
    "ImageStep",
    "parse_dimension",
    "valid_sizes",
]

FALLBACK_SIZE = (600, 400)
"""Width × height (3:2, CSS px) given to an image whose size nobody knows, with
``layout="responsive"``: AMP must reserve space before the image loads, and 3:2 is the most
common aspect ratio of news photography (the WordPress AMP plugin uses the same 600×400 fallback).
The image fills the column width; a wrong guess letterboxes rather than distorts when the theme
styles :data:`FALLBACK_CLASS` with ``object-fit: contain``."""

FALLBACK_CLASS = "amp-unknown-size"
"""Class added to images that got :data:`FALLBACK_SIZE`, so themes can style them."""

SPACER_MAX_PX = 10
"""Images at most this many px wide and high and without ``alt`` are spacers or tracking pixels
(7×7 corner GIFs of table layouts, 1×1 beacons) and are removed."""

PIXEL_MAX_PX = 1
"""An image this many px wide or high (or 0), by its ``width``/``height`` attributes, its inline
``style`` or its file, shows nothing: it is a tracking pixel, removed even with ``alt``."""

IMAGE_PROTOCOLS = frozenset({"http", "https", "data"})
"""URL schemes an ``amp-img``/``amp-anim`` ``src`` may use (validator attr list
``mandatory-src-or-srcset``: ``value_url { protocol: "data" "http" "https" }``)."""

_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-orig-file")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_DROPPED = ("loading", "decoding", "fetchpriority")
_BROWSER_IMAGE_TYPES = frozenset({"", "image/jpeg", "image/jpg", "image/png", "image/gif",
                                  "image/webp"})
_PX_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_RULE_IMG = "https://amp.dev/documentation/components/amp-img/"
_RULE_ANIM = "https://amp.dev/documentation/components/amp-anim/"
_RULE_LAYOUT = "https://amp.dev/documentation/guides-and-tutorials/learn/amp-html-layout/"




def _srcset_url_spec():
    """The ``value_url`` of ``amp-img``'s ``srcset`` in the rules."""
    from amp_publisher.core.amp import rules  # deferred with the rules data

    return rules.attr_spec("amp-img", "srcset").value_url


def _px_number(value: str) -> str | None:
    """The number of a ``"<number>"`` or ``"<number> px"`` length (spaces around, any case),
    else ``None``. String methods, not one regular expression: ``\\s*(?:px)?\\s*$`` retried
    its two runs of spaces from every space of a long run (100 KB: 107 s)."""
    text = value.strip()
    if text[-2:].lower() == "px":
        text = text[:-2].rstrip()
    return text if _PX_NUMBER.fullmatch(text) else None


def _pixel_size(img: etree._Element) -> str | None:
    """Why ``img`` is a tracking pixel by its markup (``'width="1"'``), or ``None``: a
    ``width``/``height`` attribute or inline ``style`` length of at most :data:`PIXEL_MAX_PX`."""
    for name in ("width", "height"):
        number = _px_number(img.get(name) or "")
        if number is not None and int(number.partition(".")[0]) <= PIXEL_MAX_PX:
            return f'{name}="{img.get(name)}"'
    for declaration in (img.get("style") or "").split(";"):
        prop, colon, value = declaration.partition(":")
        number = _px_number(value) if colon else None
        if prop.strip().lower() in ("width", "height") and number is not None \
                and float(number) <= PIXEL_MAX_PX:
            return f"style {prop.strip()}:{number}"
    return None


def _name(img: etree._Element, srcset: str = "") -> str:
    """How a report names a picture: its alt text, else its (lazy) source URL, else its class."""
    alt = (img.get("alt") or "").strip()
    if alt:
        return repr(alt[:80])
    for name in ("src", *_LAZY_SRC):
        if (img.get(name) or "").strip():
            return repr(img.get(name).strip()[:100])
    if srcset.strip():
        return repr(srcset.strip().split()[0][:100])
    return f"with class {img.get('class')!r}" if img.get("class") else "without alt or URL"


def _is_gif(src: str) -> bool:
    if src.lower().startswith("data:image/gif"):
        return True
    try:
        return urlsplit(src).path.lower().endswith(".gif")
    except ValueError:
        return False


def _loadable(src: str) -> bool:
    if malformed_url(src):
        return False  # the validator's INVALID_URL ("Malformed URL"): one URL check
    protocol = url_protocol(src)
    if protocol == "data":
        return src.strip()[5:].lower().startswith("image/")
    return protocol is None or protocol in IMAGE_PROTOCOLS


def _merge_picture_sources(picture: etree._Element, img: etree._Element) -> str | None:
    """The best single ``srcset`` for a ``<picture>``: all width candidates merged, else the
    first source without a media query."""
    by_width: dict[int, str] = {}
    fallback: str | None = None
    for source in picture.iter("source"):
        if source.get("type", "").strip().lower() not in _BROWSER_IMAGE_TYPES:
            continue
        candidates = parse_srcset(source.get("srcset", "")) or []
        for c in candidates:
            if c.descriptor.endswith("w") and _loadable(c.url):
                by_width.setdefault(int(c.descriptor[:-1]), c.url)
        if fallback is None and candidates and not source.get("media"):
            fallback = source.get("srcset")
    for c in parse_srcset(img.get("srcset", "")) or []:
        if c.descriptor.endswith("w"):
            by_width.setdefault(int(c.descriptor[:-1]), c.url)
    if by_width:
        return ", ".join(f"{url} {w}w" for w, url in sorted(by_width.items()))
    return fallback


def _merge_picture_sizes(sources: list[etree._Element], img: etree._Element) -> str | None:
    """One ``sizes`` list from the sources' ``media`` + ``sizes`` pairs, so the browser still picks
    the width each layout needs: ``(min-width: 1300px) 880px, …, <img sizes or 100vw>``.

    Only media conditions without commas fit in a ``sizes`` entry (HTML §4.8.4.3.10); sources
    with media lists are skipped (the Guardian's are the high-density twins of plain ones).
    """
    entries: list[str] = []
    for source in sources:
        media, sizes = source.get("media", "").strip(), source.get("sizes", "").strip()
        if media and sizes and "," not in media and "," not in sizes:
            entry = f"{media} {sizes}"
            if entry not in entries:
                entries.append(entry)
    if not entries:
        return None
    entries.append(img.get("sizes", "").strip() or "100vw")
    return ", ".join(entries)


class ImageStep:
    """Converts ``<picture>`` and ``<img>`` into ``<amp-img>``/``<amp-anim>`` (module doc)."""

    name = "images"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Convert every image below ``root``; adds ``amp-anim`` to ``ctx.extensions`` if used."""
        known = self._prefetch_sizes(root, ctx)  # per call: steps are shared, state is not
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            tag = tag_of(el)
            if tag == "picture":
                self._picture(el, ctx)
            elif tag == "img":
                self._img(el, ctx, known)

    def _prefetch_sizes(self, root: etree._Element, ctx: ConversionContext,
                        ) -> dict[str, tuple[int, int] | None]:
        """Ask a batch-capable resolver for every unsized image's size in one call (one
        article: the resolver's probe budget applies to it). Images the resolver left out of
        its answer were over that budget: they get the fallback size, reported."""
        batch = getattr(ctx.image_sizes, "sizes", None)
        if not callable(batch):
            return {}
        wanted: list[str] = []
        for img in root.iter("img"):
            if parse_dimension(img.get("width")) and parse_dimension(img.get("height")):
                continue
            src = next((img.get(a, "").strip() for a in (*_LAZY_SRC, "src")
                        if img.get(a, "").strip() and _loadable(img.get(a, "").strip())), "")
            if src:
                wanted.append(resolve_url(src, ctx.base_url))
        if not wanted:
            return {}
        known: dict = dict(batch(wanted))
        skipped = [src for src in dict.fromkeys(wanted) if src not in known]
        if skipped:
            ctx.reporter.record(
                "IMAGE_SIZE_BUDGET", "rewritten", "img", attribute="width",
                detail=f"{len(skipped)} image(s) not measured: the article's image-size probe "
                f"budget ran out; they get the fallback size {FALLBACK_SIZE[0]}x"
                f"{FALLBACK_SIZE[1]} (first: {skipped[0][:100]})",
                rule=_RULE_IMG)
            known.update(dict.fromkeys(skipped, _OVER_BUDGET))
        return known

    def _natural_size(self, src: str, ctx: ConversionContext,
                      known: dict[str, tuple[int, int] | None]) -> tuple[int, int] | None:
        if src in known:
            found = known[src]
            return None if found is _OVER_BUDGET else found
        if ctx.image_sizes is None:
            # a data: image is read locally even without a resolver: no I/O, bounded bytes
            return data_uri_size(src) if src[:5].lower() == "data:" else None
        return ctx.image_sizes.size(src)

    def _picture(self, picture: etree._Element, ctx: ConversionContext) -> None:
        imgs = [el for el in picture.iter() if tag_of(el) == "img"]
        sources = [el for el in picture.iter() if tag_of(el) == "source"]
        if imgs:
            img = imgs[0]
            srcset = _merge_picture_sources(picture, img)
            if srcset and srcset != img.get("srcset"):
                set_attribute(ctx.reporter, img, "srcset", srcset, code="CONVERTED_IMAGE",
                              detail="<picture> sources merged into one srcset (amp-img takes "
                              "one srcset; the browser still picks the best width)",
                              rule=_RULE_IMG)
                sizes = _merge_picture_sizes(sources, img)
                if sizes and sizes != img.get("sizes"):
                    set_attribute(ctx.reporter, img, "sizes", sizes, code="CONVERTED_IMAGE",
                                  detail="<picture> sources' media and sizes merged into one "
                                  "sizes list", rule=_RULE_IMG)
        for source in sources:
            remove_element(ctx.reporter, source, code="DISALLOWED_TAG",
                           detail="<source> of a <picture> removed (merged into the image's "
                           "srcset)", rule=_RULE_IMG)
        from amp_publisher.core.conversion.report import unwrap_element

        unwrap_element(ctx.reporter, picture, code="CONVERTED_IMAGE",
                       detail="<picture> replaced by its image (not an AMP element)",
                       rule=_RULE_IMG)

    def _img(self, img: etree._Element, ctx: ConversionContext,
             known: dict[str, tuple[int, int] | None]) -> None:
        rep = ctx.reporter
        for lazy in _LAZY_SRC:
            value = img.get(lazy, "").strip()
            if value and _loadable(value):
                set_attribute(rep, img, "src", value, code="CONVERTED_IMAGE",
                              detail=f"lazy-loading {lazy} promoted to src (AMP loads lazily "
                              "by itself)", rule=_RULE_IMG)
                break
        for lazy in _LAZY_SRCSET:
            value = img.get(lazy, "").strip()
            if value:
                set_attribute(rep, img, "srcset", value, code="CONVERTED_IMAGE",
                              detail=f"lazy-loading {lazy} promoted to srcset", rule=_RULE_IMG)
                break
        for name in (*_LAZY_SRC, *_LAZY_SRCSET, *_DROPPED):
            remove_attribute(rep, img, name, code="DISALLOWED_ATTR",
                             detail=f"{name} dropped: AMP decides when images load",
                             rule=_RULE_IMG)

        src = img.get("src", "").strip()
        if src and ctx.base_url:
            resolved = resolve_url(src, ctx.base_url)
            if resolved != src:
                set_attribute(rep, img, "src", resolved, code="RESOLVED_URL",
                              detail="relative image URL resolved against the article's URL",
                              rule=_RULE_IMG)
                src = resolved
        amp_layout = self._amp_layout(img, ctx)
        original_srcset = img.get("srcset", "")
        self._check_srcset(img, ctx, amp_sizes=amp_layout is not None)
        if not src and img.get("srcset") is None and original_srcset:
            # The srcset was refused, but its first URL is still the picture: keep it as src
            # rather than lose the image (a lazy-loading body may have no other source).
            first = original_srcset.strip().split()[0].rstrip(",") if original_srcset.strip() \
                else ""
            if first and url_protocol(first) in ("http", "https", None) and _loadable(first):
                src = resolve_url(first, ctx.base_url)
                set_attribute(rep, img, "src", src, code="CONVERTED_IMAGE",
                              detail="the first URL of the refused srcset kept as src, so the "
                              "picture is still shown", rule=_RULE_IMG)
        blocked = blocked_by(src) if src else None
        if blocked:
            remove_element(rep, img, code="REMOVED_AD_OR_TRACKER",
                           detail=f"{blocked[0]} image from {host_of(src)} removed: a tracking "
                           f"pixel or ad (embed policy entry {blocked[1]!r})", rule=POLICY_DOC)
            return
        pixel = _pixel_size(img)
        if pixel:
            remove_element(rep, img, code="REMOVED_AD_OR_TRACKER",
                           detail=f"tracking pixel removed ({pixel}: nothing a reader sees)",
                           rule=POLICY_DOC)
            return
        if src and not _loadable(src):
            if malformed_url(src):
                code, why = "INVALID_URL", "its URL is malformed"
            else:
                code = "INVALID_URL_PROTOCOL"
                why = f"its {url_protocol(src)}: URL cannot be loaded by readers"
            remove_element(rep, img, code=code, detail=f"image removed: {why} "
                           f"(alt: {img.get('alt', '')!r})", rule=_RULE_IMG)
            return
        if not src:
            candidates = parse_srcset(img.get("srcset", "")) if img.get("srcset") else None
            if not candidates:
                remove_element(rep, img, code="MANDATORY_ATTR_MISSING",
                               detail=f"image {_name(img, original_srcset)} removed: no src or "
                               "srcset a browser can load", rule=_RULE_IMG)
                return
            src = candidates[-1].url
            img.set("src", src)

        width, height = parse_dimension(img.get("width")), parse_dimension(img.get("height"))
        layout = amp_layout or "intrinsic"
        unknown_size = False
        how = "width and height from the tag"
        if width is None or height is None:
            natural = self._natural_size(src, ctx, known)
            how = "width and height read from the image file"
            if natural and natural[0] > 0 and natural[1] > 0:
                if width is not None:  # keep the author's width, natural aspect ratio
                    width, height = width, max(1, round(width * natural[1] / natural[0]))
                elif height is not None:
                    width, height = max(1, round(height * natural[0] / natural[1])), height
                else:
                    width, height = natural
            else:
                width, height = FALLBACK_SIZE
                layout = "responsive"
                unknown_size = True
                how = (f"size unknown: fallback {width}x{height}, layout responsive, class "
                       f"{FALLBACK_CLASS}")
        if min(width, height) <= PIXEL_MAX_PX:
            remove_element(rep, img, code="REMOVED_AD_OR_TRACKER",
                           detail=f"{width}x{height} image removed: a tracking pixel",
                           rule=POLICY_DOC)
            return
        if width <= SPACER_MAX_PX and height <= SPACER_MAX_PX and not img.get("alt", "").strip():
            remove_element(rep, img, code="REMOVED_SPACER_IMAGE",
                           detail=f"{width}x{height} image without alt removed: a layout "
                           "spacer or tracking pixel", rule=_RULE_IMG)
            return

        tag = "amp-anim" if _is_gif(src) else "amp-img"
        attrs = {"src": src}
        for name in ("srcset", "sizes"):
            if img.get(name):
                attrs[name] = img.get(name)
        attrs.update({"width": str(width), "height": str(height), "layout": layout})
        if amp_layout is not None:
            if not unknown_size:
                how += f", layout {layout} from data-amp-layout"
        elif "sizes" in attrs:
            # AMP sets the element's inline width from ``sizes`` unless told not to; a
            # ``(min-width: 0px) 445px`` entry then makes the image wider than a 320 px phone.
            # ``sizes`` still picks the srcset candidate (amp-img docs: disable-inline-width).
            attrs["disable-inline-width"] = ""
        if unknown_size:
            classes = img.get("class", "").split()
            if FALLBACK_CLASS not in classes:
                img.set("class", " ".join([*classes, FALLBACK_CLASS]))
        for name, value in img.attrib.items():
            if name not in attrs and name not in ("width", "height", "layout"):
                attrs[name] = value
        amp = new_element(tag, attrs)
        replace_element(rep, img, amp, code="CONVERTED_IMAGE",
                        detail=f"<img> converted to <{tag}> ({how})",
                        rule=_RULE_ANIM if tag == "amp-anim" else _RULE_IMG)
        if tag == "amp-anim":
            ctx.extensions.add("amp-anim")

    def _amp_layout(self, img: etree._Element, ctx: ConversionContext) -> str | None:
        """The layout ``data-amp-layout`` asks for (removed from the element), or ``None``:
        absent, or a layout the ``amp-img`` tag spec does not support (then reported)."""
        value = img.get("data-amp-layout")
        if value is None:
            return None
        from amp_publisher.core.amp.rules import supported_layouts  # deferred with the rules

        del img.attrib["data-amp-layout"]
        layout = value.strip().lower()
        if layout in LAYOUTS and layout.replace("-", "_").upper() in supported_layouts("amp-img"):
            return layout
        ctx.reporter.record("INVALID_ATTR_VALUE", "removed", "img", attribute="data-amp-layout",
                            el=img,
                            detail=f"data-amp-layout {value[:40]!r} ignored: not a layout "
                            "amp-img supports", rule=_RULE_LAYOUT)
        return None

    def _check_srcset(self, img: etree._Element, ctx: ConversionContext, *,
                      amp_sizes: bool = False) -> None:
        sizes = img.get("sizes")
        if sizes is not None and not valid_sizes(sizes):
            remove_attribute(ctx.reporter, img, "sizes", code="INVALID_ATTR_VALUE",
                             detail=f"sizes dropped: {sizes[:80]!r} is not a list of "
                             "[media condition] length entries", rule=_RULE_IMG)
        srcset = img.get("srcset")
        if srcset is None:
            if "sizes" in img.attrib and not amp_sizes:
                remove_attribute(ctx.reporter, img, "sizes", code="DISALLOWED_ATTR",
                                 detail="sizes without srcset has no effect", rule=_RULE_IMG)
            return
        candidates = parse_srcset(srcset)
        if candidates and all(_loadable(c.url) for c in candidates):
            if ctx.base_url:
                resolved = ", ".join(
                    f"{resolve_url(c.url, ctx.base_url)} {c.descriptor}".strip()
                    for c in candidates)
                if resolved != srcset:
                    set_attribute(ctx.reporter, img, "srcset", resolved, code="RESOLVED_URL",
                                  detail="relative srcset URLs resolved against the article's "
                                  "URL", rule=_RULE_IMG)
            return
        # The validator's code for this srcset (one engine: amp/urls.py), else the converter's
        # own refusal of a URL readers cannot load.
        problems = check_url_value(srcset, _srcset_url_spec(), "srcset", "amp-img")
        code = problems[0][0] if problems else "INVALID_ATTR_VALUE"
        for name in ("srcset", "sizes"):
            remove_attribute(ctx.reporter, img, name, code=code,
                             detail=f"{name} dropped: the srcset is not valid ({srcset[:80]!r})",
                             rule=_RULE_IMG)
