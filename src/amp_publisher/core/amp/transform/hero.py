"""Hero images: the first large image renders without the runtime, and can be preloaded.

An ``amp-img`` is an empty element until the runtime has loaded and laid it out, so the image a
reader sees first (the largest contentful paint of most articles) is requested only after
``v0.js`` ran. For the page's hero images this step writes the ``<img>`` the runtime would
create into the ``amp-img`` (``i-amphtml-ssr``), so the browser's preload scanner finds it in the
HTML (the AMP Optimizer's ``OptimizeHeroImages``, whose spec tests
``tests/test_transform_conformance.py`` runs).

Which images are heroes (AMP Optimizer's rules, "Hero images" in its guide):

* every element marked ``data-hero`` (an ``amp-img``, or an embed with a placeholder image);
  at most ``max_count`` of them are used;
* without any: elements marked ``data-hero-candidate``;
* without those: the first image that is not tiny (below 150 px, judged from its layout and
  size) before the second paragraph: an ``amp-img``, an ``amp-video``'s poster or an embed's
  placeholder image. Such a guess gets ``loading="lazy"`` on its ``<img>``, so a wrong guess
  never loads an image the reader does not see.

A ``<link rel=preload as=image>`` is written for a hero with a ``media`` attribute (the
optimizer's rule: without one the ``<img>`` in the HTML is found as early); :func:`preload_heroes`
adds one for the heroes without ``srcset`` as well, to start the request from the top of the
head instead of after the inline CSS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from amp_publisher.core.amp.transform.document import Document, is_template, new_element

__all__ = ["HeroImage", "optimize_hero_images", "preload_heroes", "MAX_HERO_IMAGES"]

#: Hero images per page (the optimizer's ``maxHeroImageCount`` default).
MAX_HERO_IMAGES = 2
#: Images narrower or lower than this (CSS px) are not heroes.
TINY_THRESHOLD = 150
#: Embeds whose placeholder image can be a hero.
_EMBEDS = frozenset({
    "amp-ad", "amp-anim", "amp-brightcove", "amp-dailymotion", "amp-facebook", "amp-gfycat",
    "amp-iframe", "amp-imgur", "amp-instagram", "amp-pinterest", "amp-reddit", "amp-twitter",
    "amp-video", "amp-video-iframe", "amp-vimeo", "amp-wistia-player", "amp-youtube",
})
_COPIED = ("alt", "attribution", "referrerpolicy", "src", "srcset", "sizes", "title")
_INLINED = ("object-fit", "object-position")
_SSR_CLASS = "i-amphtml-fill-content i-amphtml-replaced-content"
_BACKGROUND = re.compile(r"background-image\s*:\s*url\(\s*([^)]*\s*)", re.IGNORECASE)
_RELATIVE_UNITS = frozenset({"%", "em", "rem", "vw", "vh", "vmin", "vmax", "ex", "ch"})
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+|%)?\s*$", re.IGNORECASE)


@dataclass
class HeroImage:
    """A hero image found in the page.

    Attributes:
        src: the image URL; media, srcset: its ``media`` and ``srcset`` ("" when none).
        element: the ``amp-img`` (or placeholder ``amp-img``) to render, or ``None`` (a poster).
        explicit: the page marked it ``data-hero`` (not a guess).
    """

    src: str
    media: str
    srcset: str
    element: etree._Element | None
    explicit: bool = False


def _valid_src(src: str | None) -> bool:
    src = (src or "").strip()
    return bool(src) and not src.lower().startswith("data:") \
        and not any(c in src for c in " \t\n<>")


def _size(value: str | None) -> tuple[float, str] | None:
    m = _LENGTH.match(value or "")
    return (float(m.group(1)), (m.group(2) or "").lower()) if m else None


def _is_tiny(el: etree._Element) -> bool:
    """Whether the element is too small to be a hero (the optimizer's ``isTiny``)."""
    layout = el.get("layout") or ""
    width, height = _size(el.get("width")), _size(el.get("height"))
    if width is None and height is None and layout == "fill":
        width, height = _parent_size(el)
    if width is None or height is None:
        return True
    (w, wunit), (h, hunit) = width, height
    if w <= 0 or h <= 0:
        return True
    wunit = "" if wunit == "px" else wunit
    hunit = "" if hunit == "px" else hunit
    if wunit in _RELATIVE_UNITS and hunit in _RELATIVE_UNITS:
        return False
    if wunit in _RELATIVE_UNITS:
        return h < TINY_THRESHOLD
    if hunit in _RELATIVE_UNITS:
        return w < TINY_THRESHOLD
    if layout == "responsive":
        return False
    if layout == "fixed-height":
        return h < TINY_THRESHOLD
    return w < TINY_THRESHOLD or h < TINY_THRESHOLD


def _parent_size(el: etree._Element) -> tuple[tuple[float, str] | None, tuple[float, str] | None]:
    """A ``fill`` image's size from the nearest of its two closest ancestors that has one."""
    parent = el.getparent()
    for _ in range(2):
        if parent is None:
            break
        width, height = parent.get("width") or None, parent.get("height") or None
        if width is not None or height is not None:
            if parent.get("layout") == "responsive":
                return (float("inf"), ""), (float("inf"), "")
            return _int_size(width), _int_size(height)
        parent = parent.getparent()
    return None, None


def _int_size(value: str | None) -> tuple[float, str]:
    m = re.match(r"\s*(-?\d+)", value or "")
    return (float(m.group(1)) if m else 0.0, "")


def _placeholder_image(el: etree._Element) -> HeroImage | None:
    """The image of an embed's ``placeholder`` child."""
    for child in el:
        if not isinstance(child.tag, str) or child.get("placeholder") is None:
            continue
        img = next((d for d in child.iter("amp-img", "img")), None)
        if img is None or not _valid_src(img.get("src")):
            return None
        return HeroImage(img.get("src"), el.get("media") or "", img.get("srcset") or "", img)
    return None


def _marked(el: etree._Element, attribute: str) -> HeroImage | None:
    if el.get(attribute) is None:
        return None
    if el.tag == "amp-img" and _valid_src(el.get("src")):
        return HeroImage(el.get("src"), el.get("media") or "", el.get("srcset") or "", el)
    if el.tag in _EMBEDS:
        found = _placeholder_image(el)
        if found is not None:
            return found
    m = _BACKGROUND.search(el.get("style") or "")
    if m and _valid_src(m.group(1).strip("'\" ")):
        return HeroImage(m.group(1).strip("'\" "), el.get("media") or "", "", el)
    return None


def _fallback(el: etree._Element) -> HeroImage | None:
    if el.get("layout") == "nodisplay":
        return None
    if el.tag in ("amp-img", "img"):
        if not _valid_src(el.get("src")) or _is_tiny(el):
            return None
        return HeroImage(el.get("src"), el.get("media") or "", el.get("srcset") or "", el)
    if el.tag == "amp-video":
        poster = el.get("poster")
        if not _valid_src(poster) or _is_tiny(el):
            return None
        return HeroImage(poster, el.get("media") or "", "", None)
    if el.tag in _EMBEDS and len(el) and not _is_tiny(el):
        return _placeholder_image(el)
    return None


def find_hero_images(doc: Document, max_count: int = MAX_HERO_IMAGES) -> list[HeroImage]:
    """The page's hero images, in document order (rules in the module docstring)."""
    heroes: list[HeroImage] = []
    candidates: list[HeroImage] = []
    fallback: HeroImage | None = None
    paragraphs = 0
    stack = [doc.body]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        parent = el.getparent()
        if not (parent is not None and parent.tag == "noscript"):
            if el.tag == "p":
                paragraphs += 1
            if el.tag == "amp-img" and el.get("data-hero") is None and any(
                    img.get("fetchpriority") == "high" for ns in el if ns.tag == "noscript"
                    for img in ns if img.tag == "img"):
                el.set("data-hero", "")
            hero = _marked(el, "data-hero")
            if hero is not None:
                hero.explicit = True
                heroes.append(hero)
            elif len(candidates) < max_count:
                candidate = _marked(el, "data-hero-candidate")
                if candidate is not None:
                    candidates.append(candidate)
                elif paragraphs < 2 and fallback is None:
                    fallback = _fallback(el)
        if is_template(el):
            continue
        stack.extend(reversed(el))
    if heroes:
        return heroes
    chosen = candidates[:max_count]
    if not chosen and fallback is not None:
        chosen.append(fallback)
    return chosen


def optimize_hero_images(doc: Document, max_count: int = MAX_HERO_IMAGES) -> list[HeroImage]:
    """Render the page's hero images server-side (and preload those with ``media``).

    Args:
        doc: the parsed page, edited in place.
        max_count: at most this many heroes are rendered.
    Returns:
        The hero images rendered, in document order.
    """
    heroes = find_hero_images(doc, max_count)[:max_count]
    reference = doc.meta_viewport()
    for hero in heroes:
        img = hero.element
        if img is not None and img.get("loading") == "lazy" \
                and img.get("data-amp-story-player-poster-img") is None:
            del img.attrib["loading"]
        if hero.media and not hero.srcset and not _preloaded(doc, hero.src):
            reference = _insert_preload(doc, hero, reference)
        _render_img(hero)
    return heroes


def preload_heroes(doc: Document, heroes: list[HeroImage]) -> None:
    """A ``<link rel=preload as=image>`` after the viewport for each hero the page marked
    ``data-hero`` (a guessed hero is loaded lazily, which a preload would undo) that has no
    ``srcset`` (which a preload cannot express for every browser) and no preload yet."""
    reference = doc.meta_viewport()
    for hero in heroes:
        if hero.explicit and not hero.srcset and not _preloaded(doc, hero.src):
            reference = _insert_preload(doc, hero, reference)


def _preloaded(doc: Document, src: str) -> bool:
    return any(el.tag == "link" and el.get("rel") == "preload" and el.get("as") == "image"
               and el.get("href") == src for el in doc.head)


def _insert_preload(doc: Document, hero: HeroImage,
                    reference: etree._Element | None) -> etree._Element:
    attrs = {"rel": "preload", "href": hero.src, "as": "image", "data-hero": ""}
    if hero.media:
        attrs["media"] = hero.media
    link = new_element("link", attrs)
    if reference is not None:
        reference.addnext(link)
        if reference.tail is not None:  # addnext moves the tail; keep the text where it was
            link.tail, reference.tail = reference.tail, None
    else:
        doc.head.append(link)
    return link


def _marked_hero(el: etree._Element | None) -> bool:
    while el is not None and el.tag not in ("body", "html"):
        if el.get("data-hero") is not None:
            return True
        el = el.getparent()
    return False


def _render_img(hero: HeroImage) -> None:
    """Write the ``<img>`` the runtime would create into the hero's ``amp-img``."""
    el = hero.element
    if el is None or el.tag != "amp-img":
        return
    img = new_element("img", {"class": _SSR_CLASS, "decoding": "async"})
    noscript_img = next((i for ns in el if ns.tag == "noscript" for i in ns if i.tag == "img"),
                        None)
    if noscript_img is not None:
        for name in ("loading", "fetchpriority"):
            if noscript_img.get(name) is not None:
                img.set(name, noscript_img.get(name))
        el.remove(noscript_img.getparent())
    elif not _marked_hero(el):
        img.set("loading", "lazy")
    if el.get("data-hero") is None:
        el.set("data-hero", "")
    for name in _COPIED:
        if el.get(name) is not None:
            img.set(name, el.get(name))
    styles = [f"{name}:{el.get(name)}" for name in _INLINED if el.get(name)]
    if styles:
        img.set("style", ";".join(styles))
    el.set("i-amphtml-ssr", "")
    el.append(img)
