"""Step 5: ``<video>`` → ``<amp-video>`` (or ``<amp-brightcove>``), ``<audio>`` → ``<amp-audio>``.

Rules (amp.dev ``amp-video``/``amp-audio`` docs; validator: media ``src`` must be https or
relative): every source (``src`` attribute or ``<source>`` child) is resolved against
``base_url``, ``http:`` is upgraded to ``https:`` (as the WordPress AMP plugin does: an https page
would block the http file anyway), and sources that can never load for a reader (``blob:`` object
URLs from a player script, ``file:``, ``about:``) are dropped. A medium with no source left is
removed, its fallback text reported. Fallback content (text for old browsers) is kept in a
``<span fallback>``. A Brightcove player (``data-account`` + ``data-video-id``/``data-playlist-id``
on the video, its ``src`` a ``blob:``) becomes ``<amp-brightcove>``, which needs no file URL.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<video src="http://x.test/a.mp4" controls>Old browser</video>')
    >>> MediaStep().run(root, ctx)
    >>> serialize_children(root)
    '<amp-video src="https://x.test/a.mp4" controls="" layout="responsive" width="640" \
height="360"><span fallback="">Old browser</span></amp-video>'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.amp.layout import parse_dimension
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import remove_element, replace_element
from amp_publisher.core.conversion.tree import iter_elements, new_element, tag_of, visible_text
from amp_publisher.core.conversion.urls import resolve_url, url_protocol

__all__ = ["VIDEO_FALLBACK_SIZE", "AUDIO_HEIGHT", "MediaStep"]

VIDEO_FALLBACK_SIZE = (640, 360)
"""Width × height (16:9, CSS px) for a video without dimensions, ``layout="responsive"``: the
aspect ratio of nearly all web video, so the player fills the column without letterboxing."""

AUDIO_HEIGHT = 54
"""Height in px of an ``amp-audio`` player without dimensions (``layout="fixed-height"``): the
height of the browsers' native audio controls."""

_COPIED = ("autoplay", "controls", "loop", "muted", "preload", "title", "id", "class", "style")
_RULES = {"amp-video": "https://amp.dev/documentation/components/amp-video/",
          "amp-audio": "https://amp.dev/documentation/components/amp-audio/",
          "amp-brightcove": "https://amp.dev/documentation/components/amp-brightcove/"}


class MediaStep:
    """Converts ``<video>`` and ``<audio>`` (module doc)."""

    name = "media"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Convert every video and audio element below ``root``."""
        for el in iter_elements(root):
            if el.getparent() is not None and tag_of(el) in ("video", "audio"):
                if el.get("data-account") and (el.get("data-video-id")
                                               or el.get("data-playlist-id")):
                    self._brightcove(el, ctx)
                else:
                    self._medium(el, ctx)

    def _https(self, url: str, ctx: ConversionContext, el: etree._Element, what: str,
               ) -> str | None:
        """``url`` made loadable over https, or ``None`` (reported) when it cannot be."""
        url = resolve_url(url.strip(), ctx.base_url)
        protocol = url_protocol(url)
        if protocol == "https" or (protocol is None and url):
            return url
        if protocol == "http":
            ctx.reporter.record("INVALID_URL_PROTOCOL", "rewritten", tag_of(el), attribute=what,
                                el=el, detail="http media URL upgraded to https (AMP loads media "
                                "only over https)", rule=_RULES["amp-video"])
            return "https" + url[4:] if url[:4].lower() == "http" else url
        ctx.reporter.record("INVALID_URL_PROTOCOL", "removed", tag_of(el), attribute=what, el=el,
                            detail=f"{protocol or 'empty'} media URL dropped: it can never load "
                            "for a reader", rule=_RULES["amp-video"])
        return None

    def _medium(self, el: etree._Element, ctx: ConversionContext) -> None:
        is_video = tag_of(el) == "video"
        tag = "amp-video" if is_video else "amp-audio"
        attrs: dict[str, str] = {}
        if el.get("src") is not None and (src := self._https(el.get("src"), ctx, el, "src")):
            attrs["src"] = src
        sources: list[etree._Element] = []
        tracks: list[etree._Element] = []
        for child in el:
            child_tag = tag_of(child)
            if child_tag == "source" and (src := self._https(child.get("src", ""), ctx, child,
                                                             "src")):
                sources.append(new_element("source", {"src": src, **(
                    {"type": child.get("type")} if child.get("type") else {})}))
            elif child_tag == "track" and (src := self._https(child.get("src", ""), ctx, child,
                                                              "src")):
                tracks.append(new_element("track", {k: v for k, v in child.attrib.items()
                                                    if k != "src"} | {"src": src}))
        if not attrs.get("src") and not sources:
            remove_element(ctx.reporter, el, code="INVALID_URL_PROTOCOL",
                           detail=f"<{tag_of(el)}> removed: none of its sources can load for a "
                           "reader", rule=_RULES[tag])
            return
        if is_video and el.get("poster"):
            poster = self._https(el.get("poster"), ctx, el, "poster")
            if poster:
                attrs["poster"] = poster
        for name in _COPIED:
            if name in el.attrib:
                attrs[name] = el.get(name)
        width, height = parse_dimension(el.get("width")), parse_dimension(el.get("height"))
        if is_video:
            if width is None or height is None:
                width, height = VIDEO_FALLBACK_SIZE
            attrs.update({"layout": "responsive", "width": str(width), "height": str(height)})
        elif width and height:
            attrs.update({"layout": "fixed", "width": str(width), "height": str(height)})
        else:
            attrs.update({"layout": "fixed-height", "height": str(AUDIO_HEIGHT)})
        amp = new_element(tag, attrs)
        for child in (*sources, *tracks):
            amp.append(child)
        fallback_text = _fallback_content(el)
        if fallback_text is not None:
            amp.append(fallback_text)
        replace_element(ctx.reporter, el, amp, code="CONVERTED_MEDIA",
                        detail=f"<{tag_of(el)}> converted to <{tag}>", rule=_RULES[tag])
        ctx.extensions.add(tag)

    def _brightcove(self, el: etree._Element, ctx: ConversionContext) -> None:
        attrs = {"data-account": el.get("data-account"),
                 "data-player": el.get("data-player") or "default",
                 "data-embed": el.get("data-embed") or "default"}
        if el.get("data-video-id"):
            attrs["data-video-id"] = el.get("data-video-id")
        else:
            attrs["data-playlist-id"] = el.get("data-playlist-id")
        width, height = parse_dimension(el.get("width")), parse_dimension(el.get("height"))
        if width is None or height is None:
            width, height = VIDEO_FALLBACK_SIZE
        attrs.update({"layout": "responsive", "width": str(width), "height": str(height)})
        amp = new_element("amp-brightcove", attrs)
        replace_element(ctx.reporter, el, amp, code="CONVERTED_MEDIA",
                        detail="Brightcove player <video> converted to <amp-brightcove> (its "
                        "blob:/script-set source is not needed)", rule=_RULES["amp-brightcove"],
                        removed_text=visible_text(el))
        ctx.extensions.add("amp-brightcove")


def _fallback_content(el: etree._Element) -> etree._Element | None:
    """The medium's non-source content moved into a ``<span fallback>``, or ``None``."""
    # a <span>, not a <div>: a medium inside a <p> would otherwise be split by the parser
    holder = new_element("span", {"fallback": ""})
    holder.text = el.text
    for child in list(el):
        if tag_of(child) in ("source", "track"):
            if child.tail:
                last = holder[-1] if len(holder) else None
                if last is None:
                    holder.text = (holder.text or "") + child.tail
                else:
                    last.tail = (last.tail or "") + child.tail
            continue
        holder.append(child)
    if not (holder.text or "").strip() and not len(holder):
        return None
    return holder
