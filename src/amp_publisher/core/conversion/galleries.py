"""Step 5b: a list of images marked ``data-amp-carousel`` → ``<amp-carousel type="slides">``.

A gallery is written as plain HTML, a list whose items each hold one image and, optionally, its
caption (the shape of the article contract's ``gallery`` block, and of a WordPress gallery
block marked for the AMP plugin's carousel, ``data-amp-carousel="true"``)::

    <ul class="gallery" data-amp-carousel>
      <li><figure><img src="a.jpg" alt="A"><figcaption>First</figcaption></figure></li>
      <li><img src="b.jpg" alt="B"></li>
    </ul>

It becomes one ``amp-carousel`` of ``type="slides"`` with ``controls``, each slide a
``<figure>`` holding the image and its ``<figcaption>`` (amp.dev ``amp-carousel``: "slides"
shows one item at a time; the validator's ``amp-carousel`` tag spec takes any children). The
carousel's box has the first image's size with ``layout="responsive"``, so it keeps its aspect
ratio at any column width, and the marked element's ``class`` and ``id``. The images were
converted by the images step before (their ``width``/``height`` are known, or the documented
fallback size).

A marked element that is not such a list (an item without an image, with two, or with text
outside its caption) stays as it is, without the marker: the text is never dropped into a
carousel that would not show it. ``data-amp-carousel="false"`` only removes the marker.

:func:`is_slides_carousel` recognises the carousels this step writes; the components step keeps
those when a body brings them (converting the output again changes nothing) and unwraps any
other ``amp-carousel``.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<ul data-amp-carousel><li><amp-img src="/a.jpg" width="4" '
    ...                       'height="3" layout="responsive" alt="A"></amp-img></li></ul>')
    >>> GalleryStep().run(root, ctx)
    >>> print(serialize_children(root))
    <amp-carousel type="slides" layout="responsive" width="4" height="3" controls=""><figure>\
<amp-img src="/a.jpg" width="4" height="3" layout="responsive" alt="A"></amp-img></figure>\
</amp-carousel>
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.amp.layout import parse_dimension
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import remove_attribute, replace_element
from amp_publisher.core.conversion.tree import iter_elements, new_element, tag_of

__all__ = ["CAROUSEL_MARKER", "GalleryStep", "is_slides_carousel"]

CAROUSEL_MARKER = "data-amp-carousel"
"""The attribute that marks a list of images as a gallery to show as a carousel."""

_IMAGES = ("amp-img", "amp-anim")
_KEPT = ("class", "id")
_RULE = "https://amp.dev/documentation/components/amp-carousel/"


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def _slide(item: etree._Element) -> tuple[etree._Element, etree._Element | None] | None:
    """``(image, figcaption or None)`` of a gallery item, or ``None`` when the item is not one
    image with at most a caption: an ``amp-img``/``amp-anim``, or a ``<figure>`` of one with a
    ``<figcaption>``, and no other element or text. The first image also gives the carousel its
    size, so a gallery whose first image has no numeric width and height stays a list."""
    if tag_of(item) in _IMAGES:
        return item, None
    if tag_of(item) != "figure" or not _blank(item.text):
        return None
    children = [child for child in item if isinstance(child.tag, str)]
    if any(not _blank(child.tail) for child in children):
        return None
    if len(children) == 1 and tag_of(children[0]) in _IMAGES:
        return children[0], None
    if len(children) == 2 and tag_of(children[0]) in _IMAGES \
            and tag_of(children[1]) == "figcaption":
        return children[0], children[1]
    return None


def is_slides_carousel(el: etree._Element) -> bool:
    """Whether ``el`` is an ``amp-carousel`` of the shape :class:`GalleryStep` writes:
    ``type="slides"``, and children that are ``<figure>``\\ s of one ``amp-img``/``amp-anim``
    each, with at most a ``<figcaption>``, and no text between them."""
    if tag_of(el) != "amp-carousel" or (el.get("type") or "").strip().lower() != "slides":
        return False
    if not _blank(el.text) or not len(el):
        return False
    return all(tag_of(child) == "figure" and _blank(child.tail) and _slide(child) is not None
               for child in el)


class GalleryStep:
    """Turns lists of images marked :data:`CAROUSEL_MARKER` into carousels (module doc)."""

    name = "galleries"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Convert every marked list below ``root``."""
        for el in iter_elements(root):
            if el.getparent() is not None and el.get(CAROUSEL_MARKER) is not None:
                self._gallery(el, ctx)

    def _gallery(self, el: etree._Element, ctx: ConversionContext) -> None:
        marker = el.get(CAROUSEL_MARKER).strip().lower()
        items = [child for child in el if isinstance(child.tag, str)]
        if tag_of(el) in ("ul", "ol"):
            items = [child[0] if len(child) == 1 and _blank(child.text)
                     and _blank(child[0].tail) else child
                     for child in items if tag_of(child) == "li"]
            whole = all(tag_of(child) == "li" and _blank(child.tail)
                        for child in el if isinstance(child.tag, str))
        else:
            whole = all(_blank(child.tail) for child in items)
        slides = [_slide(item) for item in items]
        if marker == "false" or not items or not whole or not _blank(el.text) \
                or any(slide is None for slide in slides) \
                or not (parse_dimension(slides[0][0].get("width"))
                        and parse_dimension(slides[0][0].get("height"))):
            why = ("data-amp-carousel=\"false\"" if marker == "false" else
                   "not a list of images with at most a caption each; kept as written")
            remove_attribute(ctx.reporter, el, CAROUSEL_MARKER, code="INVALID_ATTR_VALUE"
                             if marker != "false" else "DISALLOWED_ATTR",
                             detail=f"gallery marker removed: {why}", rule=_RULE)
            return
        first = slides[0][0]
        attrs = {name: el.get(name) for name in _KEPT if el.get(name)}
        attrs.update({"type": "slides", "layout": "responsive",
                      "width": first.get("width", ""), "height": first.get("height", ""),
                      "controls": ""})
        carousel = new_element("amp-carousel", attrs)
        for image, caption in slides:
            figure = new_element("figure")
            figure.append(image)
            image.tail = None
            if caption is not None:
                figure.append(caption)
                caption.tail = None
            carousel.append(figure)
        replace_element(ctx.reporter, el, carousel, code="CONVERTED_GALLERY",
                        detail=f"gallery of {len(slides)} image(s) converted to "
                        "<amp-carousel type=\"slides\">", rule=_RULE)
        ctx.extensions.add("amp-carousel")
