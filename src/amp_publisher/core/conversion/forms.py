"""Step 7: ``<form>`` kept as an amp-form GET form, or unwrapped.

AMP allows ``<form>`` only with the ``amp-form`` extension, and then (validator tag specs
``FORM [method=GET]`` / ``FORM [method=POST]``, amp.dev ``amp-form`` docs): a GET form needs an
https (or relative) ``action`` and a ``target`` of ``_blank`` or ``_top``; a POST form needs an
``action-xhr`` endpoint answering AMP's CORS protocol. Body forms from a CMS (search boxes,
newsletter sign-ups) post to endpoints that know nothing of that protocol, so:

* GET form with a usable ``action`` → kept, ``target="_top"`` added when missing, amp-form used;
* anything else → the form is unwrapped (its text stays) and its controls (``input``, ``button``,
  ``select``, ``textarea``), which would do nothing without it, are removed and reported.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<form action="https://x.test/s"><input name="q"></form>')
    >>> FormStep().run(root, ctx)
    >>> serialize_children(root), sorted(ctx.extensions)
    ('<form action="https://x.test/s" target="_top"><input name="q"></form>', ['amp-form'])
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import remove_element, set_attribute, unwrap_element
from amp_publisher.core.conversion.tree import iter_elements, tag_of
from amp_publisher.core.conversion.urls import resolve_url, url_protocol

__all__ = ["FORM_CONTROLS", "FormStep"]

FORM_CONTROLS = frozenset({"input", "button", "select", "textarea", "fieldset", "output",
                           "datalist", "optgroup", "option"})
"""Controls removed with a form that cannot be kept (they cannot submit anything alone)."""

_RULE = "https://amp.dev/documentation/components/amp-form/"


class FormStep:
    """Keeps GET forms as amp-form forms, unwraps the others (module doc)."""

    name = "forms"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Handle every ``<form>`` below ``root``; adds ``amp-form`` when one is kept."""
        for el in iter_elements(root):
            if el.getparent() is None or tag_of(el) != "form":
                continue
            method = (el.get("method") or "get").strip().lower()
            action = resolve_url((el.get("action") or "").strip(), ctx.base_url)
            protocol = url_protocol(action)
            if method == "get" and action and (protocol == "https" or protocol is None):
                if action != el.get("action"):
                    set_attribute(ctx.reporter, el, "action", action, code="RESOLVED_URL",
                                  detail="form action resolved against the article's URL",
                                  rule=_RULE)
                if el.get("target") not in ("_blank", "_top"):
                    set_attribute(ctx.reporter, el, "target", "_top", code="CONVERTED_FORM",
                                  detail="amp-form GET forms need target _blank or _top",
                                  rule=_RULE)
                ctx.extensions.add("amp-form")
                continue
            for control in [c for c in el.iter() if tag_of(c) in FORM_CONTROLS]:
                if control.getparent() is not None:
                    remove_element(ctx.reporter, control, code="DISALLOWED_TAG",
                                   detail=f"form control <{tag_of(control)}> removed with its "
                                   "form", rule=_RULE)
            why = ("POST forms need an amp-form action-xhr endpoint" if method == "post"
                   else "the form has no https action")
            unwrap_element(ctx.reporter, el, code="DISALLOWED_TAG",
                           detail=f"<form> unwrapped: {why}; its text is kept", rule=_RULE)
