"""Step 6: other ``<iframe>`` → ``<amp-iframe>`` (https only, sandboxed, with a placeholder),
otherwise a link to the framed page; ad, analytics and tracking frames are removed.

The embed and ad policy (``embed_policy.json``, :mod:`~amp_publisher.core.conversion.policy`)
decides, in this order:

* a frame from an ad, analytics or tracking host → removed (``REMOVED_AD_OR_TRACKER``, naming
  the category and the policy entry);
* a trusted player without an AMP component of its own (Google Maps, Spotify, …) → amp-iframe
  with the sandbox it needs, ``allow-same-origin`` included;
* every other https frame → amp-iframe sandboxed **without** ``allow-same-origin`` (its scripts
  run in an opaque origin: no cookies or storage of its operator, no tracking across sites).

Rules (amp.dev ``amp-iframe`` docs and its validator tag spec): ``src`` must be https (or
``data:``, which we do not produce); the frame needs ``width`` and ``height`` (else
:data:`IFRAME_FALLBACK_SIZE`, ``layout="responsive"``); an amp-iframe in the first viewport must
have a ``placeholder`` child, so one is always added; ``frameborder`` is ``0``/``1`` and
``allowfullscreen`` has an empty value. Provider players (YouTube, Vimeo, …) never reach this
step: :mod:`~amp_publisher.core.conversion.embeds` turned them into their own components first.

* ``http:`` iframes cannot become amp-iframe → replaced by a link to the page whose text is
  its ``title`` or its host name (never the raw URL, which may be a tracking URL), so readers
  can still open it.
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
sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox allow-forms" \
frameborder="0" allowfullscreen=""><span placeholder="" class="amp-iframe-placeholder"></span>\
</amp-iframe>'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.amp.layout import parse_dimension
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.policy import blocked_by, host_of, sandbox_for, trusted_frame
from amp_publisher.core.conversion.report import remove_element, replace_element
from amp_publisher.core.conversion.tree import iter_elements, new_element, removed_text, tag_of
from amp_publisher.core.conversion.urls import resolve_url, url_protocol

__all__ = ["IFRAME_FALLBACK_SIZE", "DEFAULT_SANDBOX", "PLACEHOLDER_CLASS", "POLICY_DOC",
           "IframeStep", "build_amp_iframe"]

IFRAME_FALLBACK_SIZE = (600, 400)
"""Width × height (3:2) for a frame without usable dimensions (``width="100%"`` is common),
``layout="responsive"``: the same fallback as images, so unknown boxes look alike."""

DEFAULT_SANDBOX = ("allow-scripts allow-same-origin allow-popups "
                   "allow-popups-to-escape-sandbox allow-forms")
"""The widest sandbox any frame gets: the trusted players' (policy ``trusted_frames``), what maps
and podcast players need to work (scripts, their own storage, "open larger map" pop-ups), and
nothing that reaches the page (no ``allow-top-navigation``). Other frames get the policy's
``other_frames`` sandbox, without ``allow-same-origin``
(:func:`~amp_publisher.core.conversion.policy.sandbox_for`). A frame's own sandbox is kept only
where it is stricter: its tokens outside the allowed set are dropped."""

PLACEHOLDER_CLASS = "amp-iframe-placeholder"
"""Class of the empty ``placeholder`` child every amp-iframe gets (themes may style it)."""

_RULE = "https://amp.dev/documentation/components/amp-iframe/"
POLICY_DOC = "https://amp.dev/documentation/components/amp-iframe/#iframe-with-sandbox"
"""The ``rule`` of entries made by the embed and ad policy (described in docs/conversion.md,
"Embeds, ads and trackers"): a policy of this project, not an AMP rule, so it points at the
amp-iframe sandbox documentation it builds on."""
_COPIED = {"title": None, "allow": None, "referrerpolicy": None, "name": None, "id": None,
           "class": None, "style": None, "scrolling": ("auto", "no", "yes"),
           "frameborder": ("0", "1")}


def build_amp_iframe(src: str, size: tuple[int, int] | None = None,
                     source: etree._Element | None = None) -> etree._Element:
    """An ``amp-iframe`` for an https ``src``; attributes worth keeping are copied from
    ``source`` (the original iframe) when given. Always has a sandbox and a placeholder."""
    width, height = size or IFRAME_FALLBACK_SIZE
    allowed = sandbox_for(src)
    attrs = {"src": src, "layout": "responsive", "width": str(width), "height": str(height),
             "sandbox": allowed}
    if source is not None:
        if source.get("sandbox") is not None:
            # the author's sandbox may only be stricter than ours, never looser
            tokens = source.get("sandbox", "").lower().split()
            attrs["sandbox"] = " ".join(t for t in allowed.split() if t in tokens)
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
            blocked = blocked_by(src)
            if blocked:
                remove_element(ctx.reporter, el, code="REMOVED_AD_OR_TRACKER",
                               detail=f"{blocked[0]} iframe from {host_of(src)} removed "
                               f"(embed policy entry {blocked[1]!r})", rule=POLICY_DOC)
                continue
            if protocol == "https" or (protocol is None and src and ctx.base_url is None
                                       and src.startswith("/")):
                width, height = parse_dimension(el.get("width")), parse_dimension(el.get("height"))
                size = (width, height) if width and height else None
                trusted = trusted_frame(src)
                how = (f"trusted player {trusted}: sandbox with allow-same-origin" if trusted
                       else "sandboxed without allow-same-origin")
                replace_element(ctx.reporter, el, build_amp_iframe(src, size, el),
                                code="CONVERTED_IFRAME", detail="<iframe> converted to "
                                f"<amp-iframe> ({how}, with a placeholder)", rule=_RULE,
                                removed_text=removed_text(el))
                ctx.extensions.add("amp-iframe")
            elif protocol == "http":
                link = new_element("a", {"href": src},
                                   el.get("title", "").strip() or host_of(src) or src)
                replace_element(ctx.reporter, el, link, code="INVALID_URL_PROTOCOL",
                                detail="http iframe replaced by a link: amp-iframe requires "
                                "https", rule=_RULE, removed_text=removed_text(el))
            else:
                remove_element(ctx.reporter, el, code="INVALID_URL_PROTOCOL",
                               detail=f"<iframe> with {protocol or 'no'} URL removed: it shows "
                               "nothing a reader can load", rule=_RULE)
