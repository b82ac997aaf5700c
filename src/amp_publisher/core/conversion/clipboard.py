"""Step 0: clipboard wrappers of office suites removed before anything else reads the body.

Editors paste from Google Docs and Microsoft Word, and both wrap the text in markup that means
nothing on a web page (issue 14 item 3):

* **Google Docs** wraps a whole paste in ``<b style="font-weight:normal;"
  id="docs-internal-guid-…">``: a bold element that is not bold, around block content. It is
  unwrapped (its content kept), so the paragraphs are not inside a ``<b>`` and its style does
  not become CSS.
* **Word** writes ``<o:p>`` (Office namespace) after paragraphs, holding nothing or one
  non-breaking space: removed when it holds only whitespace, else unwrapped. Its other
  namespaced elements (``<w:…>``, ``<st1:…>`` smart tags) are unwrapped; VML shapes (``<v:…>``)
  are left to the generic rules, which remove them. ``class`` values ``Mso…`` (``MsoNormal``,
  ``MsoListParagraph``) are removed: no stylesheet on the page defines them. Word's ``mso-*``
  CSS properties are removed by the style step.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<b style="font-weight:normal;" id="docs-internal-guid-1a2b">'
    ...                       '<p class="MsoNormal">Hi<o:p>&nbsp;</o:p></p></b>')
    >>> ClipboardStep().run(root, ctx)
    >>> serialize_children(root)
    '<p>Hi</p>'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.mobile import MOBILE_RULE
from amp_publisher.core.conversion.report import (
    remove_attribute,
    remove_element,
    set_attribute,
    unwrap_element,
)
from amp_publisher.core.conversion.tree import iter_elements, tag_of, visible_text

__all__ = ["GOOGLE_DOCS_ID_PREFIX", "ClipboardStep"]

GOOGLE_DOCS_ID_PREFIX = "docs-internal-guid-"
"""``id`` prefix of the wrapper Google Docs puts around copied content."""

_RULE = MOBILE_RULE
# The parser writes the ":" of such names as "_" (lxml cannot hold it; see conversion.tree).
_WORD_PREFIXES = ("o:", "w:", "st1:", "o_", "w_", "st1_")


def _word_tag(tag: str) -> bool:
    return tag.startswith(_WORD_PREFIXES)


class ClipboardStep:
    """Unwraps Google Docs' and Word's clipboard markup (module doc)."""

    name = "clipboard"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Remove or unwrap every clipboard wrapper below ``root``."""
        rep = ctx.reporter
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            tag = tag_of(el)
            if tag == "b" and (el.get("id") or "").startswith(GOOGLE_DOCS_ID_PREFIX):
                unwrap_element(rep, el, code="CLIPBOARD_WRAPPER",
                               detail="Google Docs paste wrapper <b id=\"docs-internal-guid-…\"> "
                               "unwrapped: it is not bold and wraps whole paragraphs", rule=_RULE)
                continue
            if _word_tag(tag):
                if tag in ("o:p", "o_p") and not visible_text(el).replace("\xa0", ""):
                    remove_element(rep, el, code="CLIPBOARD_WRAPPER",
                                   detail="Word's empty <o:p> removed", rule=_RULE)
                else:
                    unwrap_element(rep, el, code="CLIPBOARD_WRAPPER",
                                   detail=f"Word markup <{tag}> unwrapped, its text kept",
                                   rule=_RULE)
                continue
            classes = (el.get("class") or "").split()
            kept = [c for c in classes if not c.startswith("Mso")]
            if len(kept) != len(classes):
                if kept:
                    set_attribute(rep, el, "class", " ".join(kept), code="CLIPBOARD_WRAPPER",
                                  detail="Word's Mso… classes removed", rule=_RULE)
                else:
                    remove_attribute(rep, el, "class", code="CLIPBOARD_WRAPPER",
                                     detail="Word's Mso… classes removed", rule=_RULE)
