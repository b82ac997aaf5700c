"""Step 8: AMP components written into the body by its author, constrained or removed.

A CMS body may already hold AMP markup (pasted from another AMP page, or written by an AMP
plugin). The generic pass checks tags and attributes against the rules, but some valid markup
must still not come from a body, and some components have structure rules the generic pass does
not repair:

* **Tracking and page-level behaviour** (:data:`REMOVED_COMPONENTS`): ``amp-pixel``,
  ``amp-analytics``, ads, ``amp-script``, ``amp-state``/``amp-list`` (remote data fetched with
  the reader's cookies) and the like are removed with their content: a body must not add
  tracking, run code or fetch data for the page (the page's own analytics are the theme's).
* **State binding**: ``data-amp-bind-*`` and ``[attr]`` bindings are removed (amp-bind lets
  markup rewrite the page; there is no amp-bind on these pages).
* **amp-iframe** from the body gets what converted iframes get
  (:mod:`~amp_publisher.core.conversion.iframes`): ``srcdoc`` is removed (it would put arbitrary
  markup and script in the frame) and the sandbox is limited to
  :data:`~amp_publisher.core.conversion.iframes.DEFAULT_SANDBOX` (never ``allow-top-navigation``,
  ``allow-modals``…); tokens outside it are dropped, a missing sandbox gets the whole set.
* **Structured components** (:data:`STRUCTURED_COMPONENTS`: the components whose validator
  tag specs constrain their children, ``child_tags``/``descendant_tag_list``) are unwrapped,
  keeping their text: ``<amp-accordion><p>…`` is invalid and no generic repair recovers the
  author's intent, while the text is what the reader needs. An ``amp-carousel`` of image
  slides, the shape the galleries step writes
  (:func:`~amp_publisher.core.conversion.galleries.is_slides_carousel`), is kept.

Every change is reported.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<amp-pixel src="https://t.example/p"></amp-pixel>'
    ...                       '<amp-accordion><p>Kept</p></amp-accordion>')
    >>> ComponentStep().run(root, ctx)
    >>> serialize_children(root), [e.code for e in ctx.reporter.entries]
    ('<p>Kept</p>', ['DISALLOWED_TAG', 'DISALLOWED_TAG'])
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.galleries import is_slides_carousel
from amp_publisher.core.conversion.iframes import POLICY_DOC
from amp_publisher.core.conversion.policy import blocked_by, host_of, sandbox_for
from amp_publisher.core.conversion.report import (
    AMP_SPEC_URL,
    remove_attribute,
    remove_element,
    set_attribute,
    unwrap_element,
)
from amp_publisher.core.conversion.tree import iter_elements, tag_of

__all__ = ["REMOVED_COMPONENTS", "STRUCTURED_COMPONENTS", "ComponentStep"]

REMOVED_COMPONENTS = frozenset({
    "amp-pixel", "amp-analytics", "amp-call-tracking", "amp-experiment", "amp-ad", "amp-embed",
    "amp-sticky-ad", "amp-auto-ads", "amp-ad-exit", "amp-script", "amp-state", "amp-bind-macro",
    "amp-list", "amp-live-list", "amp-user-notification", "amp-consent", "amp-geo",
    "amp-install-serviceworker", "amp-web-push", "amp-web-push-widget", "amp-access-laterpay",
    "amp-subscriptions", "amp-story-auto-ads", "amp-link-rewriter", "amp-auto-lightbox",
})
"""Components a body may not bring: tracking (pixels, analytics, call tracking, ads),
author code (amp-script), remote state and data (amp-state, amp-list), and page-level
behaviour (consent, notifications, service workers, link rewriting)."""

STRUCTURED_COMPONENTS = frozenset({"amp-accordion", "amp-sidebar", "amp-carousel",
                                   "amp-lightbox-gallery", "amp-story", "amp-selector",
                                   "amp-mega-menu", "amp-nested-menu", "amp-inline-gallery",
                                   "amp-stream-gallery", "amp-base-carousel", "amp-date-picker"})
"""Components whose tag specs constrain their children (validator ``child_tags``,
``descendant_tag_list``, ``reference_points``) or their place in the page (``amp-sidebar`` is
a child of ``<body>``): unwrapped when they come from a body (module doc)."""

_RULE_TAGS = AMP_SPEC_URL + "#html-tags"
_RULE_IFRAME = "https://amp.dev/documentation/components/amp-iframe/"


class ComponentStep:
    """Constrains or removes author-supplied AMP components (module doc)."""

    name = "components"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Apply the module's rules to every element below ``root``."""
        rep = ctx.reporter
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            tag = tag_of(el)
            if tag in REMOVED_COMPONENTS:
                remove_element(rep, el, code="DISALLOWED_TAG", detail=f"<{tag}> removed: a body "
                               "may not add tracking, scripts or remote data to the page",
                               rule=_RULE_TAGS)
                continue
            for name in list(el.attrib):
                lname = name.lower()
                if lname.startswith("data-amp-bind") or lname.startswith("u0005b"):
                    # html5lib stores a binding [text] (not an XML name) as U0005BtextU0005D
                    shown = f"[{lname[6:-6]}]" if lname.startswith("u0005b") else lname
                    remove_attribute(rep, el, name, code="DISALLOWED_ATTR",
                                     detail=f"state binding {shown} removed: body markup may "
                                     "not rewrite the page", rule=_RULE_TAGS)
            if tag == "amp-iframe":
                self._iframe(el, ctx)
            elif tag in STRUCTURED_COMPONENTS and not is_slides_carousel(el):
                unwrap_element(rep, el, code="DISALLOWED_TAG",
                               detail=f"<{tag}> from the body unwrapped, its content kept: its "
                               "structure is not checked by the converter", rule=_RULE_TAGS)

    def _iframe(self, el: etree._Element, ctx: ConversionContext) -> None:
        remove_attribute(ctx.reporter, el, "srcdoc", code="DISALLOWED_ATTR",
                         detail="srcdoc removed: it would put arbitrary markup and scripts in "
                         "the frame", rule=_RULE_IFRAME)
        src = el.get("src", "")
        blocked = blocked_by(src)
        if blocked:
            remove_element(ctx.reporter, el, code="REMOVED_AD_OR_TRACKER",
                           detail=f"{blocked[0]} amp-iframe from {host_of(src)} removed (embed "
                           f"policy entry {blocked[1]!r})", rule=POLICY_DOC)
            return
        allowed = sandbox_for(src).split()  # the embed policy: same-origin for trusted players
        sandbox = el.get("sandbox")
        tokens = sandbox.lower().split() if sandbox is not None else allowed
        kept = " ".join(t for t in allowed if t in tokens)
        if sandbox is None or kept != sandbox:
            dropped = sorted(set(tokens) - set(allowed))
            set_attribute(ctx.reporter, el, "sandbox", kept, code="INVALID_ATTR_VALUE",
                          detail=f"sandbox limited to {' '.join(allowed)!r}"
                          + (f"; {' '.join(dropped)} removed" if dropped else ""),
                          rule=_RULE_IFRAME)
