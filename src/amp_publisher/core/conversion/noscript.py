"""Step 3: ``<noscript>`` fallbacks unwrapped.

CMSs and lazy-loading plugins write ``<img data-src=… class="lazyload"><noscript><img
src=…></noscript>``: the first image needs JavaScript, the ``<noscript>`` copy is the real one.
AMP renders components without author JavaScript, so the ``<noscript>`` content is what the reader
should get: it is unwrapped (its text stays, now visible), and when it holds an image that
duplicates the image just before it, that JavaScript-only image is removed, as the WordPress AMP
plugin's ``AMP_Img_Sanitizer`` does for lazy-loaded images. ``<noscript>`` itself is allowed in
AMP only inside ``<amp-img>``/``<amp-anim>`` and in the head (validator tag spec ``noscript``
with ``mandatory_parent``), which is why it cannot stay in a body.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<img data-src="a.jpg"><noscript><img src="a.jpg"></noscript>')
    >>> NoscriptStep().run(root, ctx)
    >>> serialize_children(root)
    '<img src="a.jpg">'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import AMP_SPEC_URL, remove_element, unwrap_element
from amp_publisher.core.conversion.tree import iter_elements, tag_of

__all__ = ["NoscriptStep"]

_RULE = AMP_SPEC_URL + "#html-tags"
_LAZY_SRC_ATTRS = ("data-src", "data-lazy-src", "data-original", "src")


def _lazy_twin(noscript: etree._Element) -> etree._Element | None:
    """The image right before ``noscript`` that the ``<noscript>`` image duplicates, if any."""
    images = [el for el in noscript.iter() if tag_of(el) == "img"]
    previous = noscript.getprevious()
    if not images or previous is None or (previous.tail or "").strip():
        return None
    if tag_of(previous) == "img":
        candidates = [previous]
    elif tag_of(previous) == "picture":
        candidates = [el for el in previous.iter() if tag_of(el) == "img"]
    else:
        return None
    fallback_src = images[0].get("src", "").strip()
    for img in candidates:
        sources = {img.get(a, "").strip() for a in _LAZY_SRC_ATTRS} - {""}
        if fallback_src in sources or not img.get("src") or "lazy" in img.get("class", ""):
            return previous
    return None


class NoscriptStep:
    """Unwraps ``<noscript>`` and drops the JavaScript-only image it duplicates."""

    name = "noscript"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Unwrap every ``<noscript>`` below ``root`` (innermost last), reporting each."""
        for el in iter_elements(root):
            if tag_of(el) != "noscript" or el.getparent() is None:
                continue
            if any(tag_of(a).startswith("amp-") for a in el.iterancestors()):
                # AMP-style markup pasted back (<amp-img><noscript><img></noscript></amp-img>):
                # the component is the real content; its no-JS copy would nest a second one.
                remove_element(ctx.reporter, el, code="DISALLOWED_TAG",
                               detail="<noscript> copy inside an AMP component removed: the "
                               "component shows the same content", rule=_RULE)
                continue
            twin = _lazy_twin(el)
            if twin is not None:
                remove_element(ctx.reporter, twin, code="DUPLICATE_LAZY_IMAGE",
                               detail="JavaScript lazy-loading image removed: the <noscript> "
                               "copy after it is the same image", rule=_RULE)
            unwrap_element(ctx.reporter, el, code="UNWRAPPED_NOSCRIPT",
                           detail="<noscript> fallback unwrapped: AMP needs no script, so the "
                           "fallback content is what readers get", rule=_RULE)
