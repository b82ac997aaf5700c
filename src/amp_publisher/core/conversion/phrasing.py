"""Step 10 (inline content only): block-level markup unwrapped, so the fragment is phrasing
content (WHATWG HTML §3.2.5.2.5), as paragraph and quote blocks' inline ``html`` fields require
(DESIGN §3: "Inline html allows phrasing content only").

Non-phrasing elements are unwrapped, never removed, so their text stays; a space is put where a
block boundary separated words (``<p>a</p><p>b</p>`` → ``a b``), so words do not run together.
Runs only when :attr:`ConversionContext.inline` is true.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext(inline=True)
    >>> root = parse_fragment("<div><em>Hello</em></div><p>world</p>")
    >>> PhrasingStep().run(root, ctx)
    >>> serialize_children(root)
    '<em>Hello</em> world'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import unwrap_element
from amp_publisher.core.conversion.tree import iter_elements, tag_of

__all__ = ["PHRASING_ELEMENTS", "PhrasingStep"]

PHRASING_ELEMENTS = frozenset(
    [
        "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i",
        "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
        "time", "u", "var", "wbr"
    ]
)
"""HTML phrasing content that an inline field may keep (WHATWG HTML §3.2.5.2.5, without the
interactive and embedded elements AMP replaces). AMP components (``amp-*``) made from phrasing
elements (``img`` → ``amp-img``) are kept as well."""

_RULE = "https://html.spec.whatwg.org/multipage/dom.html#phrasing-content"


def _pad(el: etree._Element) -> None:
    """Make sure the block's content is separated from neighbouring text by whitespace."""
    previous = el.getprevious()
    # text just before the element; an element without tail ends in its own (non-space) content
    before = (previous.tail or "x") if previous is not None else (el.getparent().text or "")
    if before and not before[-1].isspace():
        el.text = " " + (el.text or "")
    if el.tail and not el.tail[0].isspace():
        el.tail = " " + el.tail
    elif not el.tail and el.getnext() is not None:
        el.tail = " "


class PhrasingStep:
    """Unwraps non-phrasing elements when converting inline content (module doc)."""

    name = "phrasing"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Unwrap every non-phrasing element below ``root`` when ``ctx.inline``."""
        if not ctx.inline:
            return
        for el in iter_elements(root):
            tag = tag_of(el)
            if el.getparent() is None or tag in PHRASING_ELEMENTS or tag.startswith("amp-"):
                continue
            if any(tag_of(a).startswith("amp-") for a in el.iterancestors()):
                continue  # a component's own placeholder/fallback child
            _pad(el)
            unwrap_element(ctx.reporter, el, code="NOT_PHRASING_CONTENT",
                           detail=f"<{tag}> is block-level; inline html keeps phrasing content "
                           "only, so its content was kept without it", rule=_RULE)
