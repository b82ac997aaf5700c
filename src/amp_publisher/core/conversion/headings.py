"""Step: ``<h1>`` in a body becomes ``<h2>``.

The page's headline is its only ``h1`` (the theme writes it from ``headline``): a second ``h1``
from a CMS body or a Markdown ``# Title`` would give the page two top-level headings, which search
engines and screen readers read as two documents. AMP allows ``h1`` anywhere, so this is not a
validator rule but the page's outline (HTML Living Standard, "Headings and outlines"); the
WordPress AMP plugin's templates likewise keep the post title as the page's single ``h1``.
Lower levels are left as written.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<h1 id="top">Title</h1><h2>Part</h2>')
    >>> HeadingStep().run(root, ctx)
    >>> serialize_children(root)
    '<h2 id="top">Title</h2><h2>Part</h2>'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.tree import iter_elements, tag_of

__all__ = ["HeadingStep"]

_RULE = "https://html.spec.whatwg.org/multipage/sections.html#headings-and-outlines"


class HeadingStep:
    """Renames every body ``<h1>`` to ``<h2>`` (attributes and content kept), reporting each."""

    name = "headings"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Demote the ``<h1>`` elements below ``root``."""
        for el in iter_elements(root):
            if tag_of(el) == "h1":
                el.tag = "h2"
                ctx.reporter.record("DEMOTED_HEADING", "rewritten", "h1", el=el,
                                    detail="<h1> in the body became <h2>: the headline is the "
                                    "page's only h1", rule=_RULE)
