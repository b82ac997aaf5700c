"""Step 2: scripts, event-handler attributes and script URLs removed.

AMP pages run no author JavaScript (AMP spec "HTML tags": ``script`` is allowed only for the
runtime, extensions and JSON data; "Attributes": attribute names starting with ``on`` other than
``on`` itself are disallowed). AMP's own ``on`` action attribute is removed as well: actions
(``AMP.navigateTo``, ``AMP.setState``…) are the page's, and a CMS body should not wire them.
A ``javascript:``/``vbscript:`` URL, or a ``data:`` URL of an HTML, XML or script type, runs
code when followed, so such URL attributes are removed too (the
validator reports them as ``INVALID_URL_PROTOCOL``). ``<script>`` content is not visible text, so
removing it loses none. JSON-LD in a body is also removed: the page's own structured data is
written by the renderer from the article fields.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<a href="javascript:go()" onclick="go()">Go</a>'
    ...                       '<script>go()</script>')
    >>> ScriptStep().run(root, ctx)
    >>> serialize_children(root), [e.code for e in ctx.reporter.entries]
    ('<a>Go</a>', ['INVALID_URL_PROTOCOL', 'DISALLOWED_ATTR', 'DISALLOWED_SCRIPT_TAG'])
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import AMP_SPEC_URL, remove_attribute, remove_element
from amp_publisher.core.conversion.tree import iter_elements, tag_of
from amp_publisher.core.conversion.urls import is_script_url

__all__ = ["ScriptStep"]

_RULE_SCRIPT = AMP_SPEC_URL + "#html-tags"
_RULE_ATTR = AMP_SPEC_URL + "#attrs"


_TEXT_ATTRIBUTES = frozenset({"alt", "title", "aria-label", "placeholder", "content", "value"})
"""Attributes whose value is text for people, never followed as a URL."""


def _holds_script_url(value: str) -> bool:
    """True when the value, or any candidate of a srcset-like list in it, is a script URL.

    Every other attribute is checked, not only the known URL attributes: lazy-loading scripts
    copy ``data-src``/``data-srcset``/``data-href`` (and whatever a plugin invents) into real URL
    attributes, and this step runs before the image step promotes them."""
    if is_script_url(value):
        return True
    return "," in value and any(is_script_url(part.strip().split(" ", 1)[0])
                                for part in value.split(",") if part.strip())


class ScriptStep:
    """Removes ``<script>`` elements, ``on*`` attributes and script URLs."""

    name = "scripts"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Remove every script, event handler and script URL below ``root``, reporting each."""
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            if tag_of(el) == "script":
                kind = el.get("type") or "JavaScript"
                remove_element(ctx.reporter, el, code="DISALLOWED_SCRIPT_TAG",
                               detail=f"<script> ({kind}) removed: AMP pages run no author "
                               "scripts", rule=_RULE_SCRIPT)
                continue
            for name in list(el.attrib):
                lname = name.lower()
                if lname.startswith("on") and lname != "on":
                    remove_attribute(ctx.reporter, el, name, code="DISALLOWED_ATTR",
                                     detail=f"event handler {name} removed: AMP pages run no "
                                     "author scripts", rule=_RULE_ATTR)
                elif lname == "on":
                    remove_attribute(ctx.reporter, el, name, code="DISALLOWED_ATTR",
                                     detail="AMP action attribute on removed: body content from "
                                     "a CMS may not drive the page's actions", rule=_RULE_ATTR)
                elif lname not in _TEXT_ATTRIBUTES and _holds_script_url(el.get(name, "")):
                    remove_attribute(ctx.reporter, el, name, code="INVALID_URL_PROTOCOL",
                                     detail=f"{name} held a script URL, which runs code when "
                                     "followed", rule=_RULE_ATTR)
