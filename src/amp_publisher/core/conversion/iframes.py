"""Step 6: other ``<iframe>`` → ``<amp-iframe>`` (https only, sandboxed, with a placeholder),
otherwise a link to the framed page.

Rules (amp.dev ``amp-iframe`` docs and its validator tag spec): ``src`` must be https (or
``data:``, which we do not produce); the frame needs ``width`` and ``height`` (else
:data:`IFRAME_FALLBACK_SIZE`, ``layout="responsive"``); an amp-iframe in the first viewport must
have a ``placeholder`` child, so one is always added; ``frameborder`` is ``0``/``1`` and
``allowfullscreen`` has an empty value. Provider players (YouTube, Vimeo, …) never reach this
step: :mod:`~amp_publisher.core.conversion.embeds` turned them into their own components first.

* ``http:`` iframes cannot become amp-iframe → replaced by a link to the page (its ``title`` or
  URL as the text), so readers can still open it.
* ``about:``, ``javascript:``, empty ``src`` or ``srcdoc``-only frames show nothing a reader
  needs → removed. Fallback text inside an ``<iframe>`` is never rendered by HTML5 browsers, but
  the author wrote it, so every conversion or removal reports it as ``removed_text``.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<iframe src="https://maps.test/e" width="600" height="450" '
    ...                       'frameborder="0" allowfullscreen="allowfullscreen"></iframe>')
    >>> IframeStep().run(root, ctx)
    >>> serialize_children(root)  # doctest: +NORMALIZE_WHITESPACE
    '<amp-iframe src="https://maps.test/e" layout="responsive" width="600" height="450" \
sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-forms" \
frameborder="0" allowfullscreen=""><span placeholder="" class="amp-iframe-placeholder"></span>\
</amp-iframe>'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.images import parse_dimension
from amp_publisher.core.conversion.report import remove_element, replace_element
from amp_publisher.core.conversion.tree import iter_elements, new_element, removed_text, tag_of
from amp_publisher.core.conversion.urls import resolve_url, url_protocol

__all__ = ["IFRAME_FALLBACK_SIZE", "DEFAULT_SANDBOX", "PLACEHOLDER_CLASS", "IframeStep",
           "build_amp_iframe"]

IFRAME_FALLBACK_SIZE = (600, 400)
"""Width × height (3:2) for a frame without usable dimensions (``width="100%"`` is common),
``layout="responsive"``: the same fallback as images, so unknown boxes look alike."""

DEFAULT_SANDBOX = ("allow-scripts allow-same-origin allow-popups "
                   "allow-popups-to-escape-sandbox allow-forms")
"""Sandbox for frames that had none: what maps, polls and forms from other origins need to work
(scripts, their own cookies, "open larger map" pop-ups), and nothing that reaches the page (no
``allow-top-navigation``). amp-iframe docs recommend an explicit sandbox. A frame's own sandbox
is kept only where it is stricter: its tokens outside this set are dropped."""

PLACEHOLDER_CLASS = "amp-iframe-placeholder"
"""Class of the empty ``placeholder`` child every amp-iframe gets (themes may style it)."""

_RULE = "https://amp.dev/documentation/components/amp-iframe/"
_COPIED = {"title": None, "allow": None, "referrerpolicy": None, "name": None, "id": None,
           "class": None, "style": None, "scrolling": ("auto", "no", "yes"),
           "frameborder": ("0", "1")}


def build_amp_iframe(src: str, size: tuple[int, int] | None = None,
                     source: etree._Element | None = None) -> etree._Element:
    """An ``amp-iframe`` for an https ``src``; attributes worth keeping are copied from
    ``source`` (the original iframe) when given. Always has a sandbox and a placeholder."""
    width, height = size or IFRAME_FALLBACK_SIZE
    attrs = {"src": src, "layout": "responsive", "width": str(width), "height": str(height),
             "sandbox": DEFAULT_SANDBOX}
    if source is not None:
        if source.get("sandbox") is not None:
            # the author's sandbox may only be stricter than ours, never looser
            tokens = source.get("sandbox", "").lower().split()
            attrs["sandbox"] = " ".join(t for t in DEFAULT_SANDBOX.split() if t in tokens)
        for name, allowed in _COPIED.items():
            value = source.get(name)
            if value is not None and (allowed is None or value in allowed):
                attrs[name] = value
        if source.get("allowfullscreen") is not None:
            attrs["allowfullscreen"] = ""
    amp = new_element("amp-iframe", attrs)
    # a <span>, not a <div>: an amp-iframe may sit inside a <p>, and a <div> there would make
    # the browser's parser close the <p> and move the placeholder out of the component
    amp.append(new_element("span", {"placeholder": "", "class": PLACEHOLDER_CLASS}))
    return amp


class IframeStep:
    """Converts the remaining iframes (module doc)."""

    name = "iframes"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Convert or remove every ``<iframe>`` below ``root``."""
        for el in iter_elements(root):
            if el.getparent() is None or tag_of(el) != "iframe":
                continue
            src = resolve_url((el.get("src") or el.get("data-src") or "").strip(), ctx.base_url)
            protocol = url_protocol(src)
            if protocol == "https" or (protocol is None and src and ctx.base_url is None
                                       and src.startswith("/")):
                width, height = parse_dimension(el.get("width")), parse_dimension(el.get("height"))
                size = (width, height) if width and height else None
                replace_element(ctx.reporter, el, build_amp_iframe(src, size, el),
                                code="CONVERTED_IFRAME", detail="<iframe> converted to "
                                "<amp-iframe> (sandboxed, with a placeholder)", rule=_RULE,
                                removed_text=removed_text(el))
                ctx.extensions.add("amp-iframe")
            elif protocol == "http":
                link = new_element("a", {"href": src}, el.get("title", "").strip() or src)
                replace_element(ctx.reporter, el, link, code="INVALID_URL_PROTOCOL",
                                detail="http iframe replaced by a link: amp-iframe requires "
                                "https", rule=_RULE, removed_text=removed_text(el))
            else:
                remove_element(ctx.reporter, el, code="INVALID_URL_PROTOCOL",
                               detail=f"<iframe> with {protocol or 'no'} URL removed: it shows "
                               "nothing a reader can load", rule=_RULE)
