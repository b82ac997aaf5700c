"""Paired mode's canonical page: the plain-HTML twin of a rendered AMP page (DESIGN §9).

In paired mode (``PAGE_MODE=paired``) an article is published twice: its AMP page at
``/<slug>/amp/`` and a canonical, non-AMP page at ``/<slug>/``. Like the AMP plugin for
WordPress in its "transitional" mode, both come from one theme and one article: the canonical
page is made *from the AMP page* that passed the publish gate, by turning each AMP construct
back into the HTML element it stands for. So the two always have the same text, the same
JSON-LD (copied byte for byte) and the same look (the theme's stylesheet, plus
``canonical.css`` for the native elements), and the canonical page inherits the converter's
sanitising: nothing an author wrote can reach it that the AMP page did not carry, and the AMP
page carries no author script (the validator refuses it).

What changes, in this order (:data:`STEPS`):

1. ``<html ⚡>``: the AMP attribute is removed.
2. The head: the AMP runtime and component scripts and the ``amp-boilerplate`` styles go;
   ``<style amp-custom>`` becomes a plain ``<style>`` with ``canonical.css`` appended; a
   ``<link rel=amphtml>`` naming the AMP page follows ``<link rel=canonical>``. JSON-LD stays.
3. The body's components (:data:`ELEMENTS`): ``amp-img``/``amp-anim`` → ``<img>`` (``srcset``
   and ``sizes`` kept, ``loading="lazy"`` and ``decoding="async"`` except for the hero image
   and the logo, which are fetched at once); ``amp-video`` → ``<video>``; ``amp-audio`` →
   ``<audio>``; ``amp-iframe`` and the embed components → ``<iframe>`` on the provider's own
   player (:func:`~amp_publisher.core.conversion.embeds.player_url`), keeping their aspect
   ratio; ``amp-carousel`` → a horizontally scrolling row (CSS scroll snap);
   ``amp-social-share`` → a link to the network's share URL (``system`` needs script: dropped);
   ``amp-analytics``, ``amp-consent``, ``amp-pixel`` → removed (analytics is the AMP page's; a
   canonical page that needs it gets it from a custom theme's templates). Any other component is
   replaced by its content. ``placeholder`` children go; ``fallback`` content stays only in
   ``<video>``/``<audio>`` (what browsers show when they cannot play).
4. AMP-only attributes (``layout``, ``on``, ``[bindings]``, ``placeholder``, ``fallback``…)
   are removed everywhere.

The result needs no JavaScript. It is not AMP and not validated as AMP; the tests parse it with
an HTML5 parser in strict mode.

Example:
    >>> page = ('<!doctype html><html ⚡ lang="en"><head><meta charset="utf-8">'
    ...         '<script async src="https://cdn.ampproject.org/v0.js"></script>'
    ...         '<title>T</title><link rel="canonical" href="https://n.example/a/">'
    ...         '<style amp-custom>p{color:red}</style></head><body>'
    ...         '<amp-img src="/i.jpg" width="4" height="3" layout="responsive" alt="A">'
    ...         '</amp-img></body></html>')
    >>> html = canonical_page(page, amp_url="https://n.example/a/amp/", theme="default")
    >>> '<html lang="en">' in html, "cdn.ampproject.org" in html
    (True, False)
    >>> '<link rel="amphtml" href="https://n.example/a/amp/">' in html
    True
    >>> '<img src="/i.jpg" width="4" height="3" alt="A" loading="lazy" decoding="async">' in html
    True
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from lxml import etree

__all__ = ["canonical_page", "ELEMENTS", "STEPS", "SHARE_URLS", "AMP_ONLY_ATTRIBUTES"]

#: Attributes that mean something only to the AMP runtime (AMP HTML spec, "Layout system" and
#: "Actions and events"; ``amp-bind``'s ``[attr]`` bindings are matched by their bracket).
AMP_ONLY_ATTRIBUTES = frozenset({"layout", "heights", "on", "placeholder", "fallback",
                                 "noloading", "credentials", "attribution", "lightbox",
                                 "resizable", "data-block-on-consent", "i-amphtml-layout"})

#: Share URLs of the networks ``amp-social-share`` knows, with ``{url}`` and ``{title}`` to
#: fill in (URL-encoded): the endpoints the component's own pre-configured providers open
#: (amp-social-share documentation, "Pre-configured providers"). ``system`` (the browser's
#: share sheet) needs script, and has none.
SHARE_URLS = {
    "email": "mailto:?subject={title}&body={url}",
    "facebook": "https://www.facebook.com/dialog/share?app_id={app_id}&href={url}",
    "linkedin": "https://www.linkedin.com/sharing/share-offsite/?url={url}",
    "pinterest": "https://www.pinterest.com/pin/create/button/?url={url}&description={title}",
    "tumblr": "https://www.tumblr.com/share/link?url={url}&name={title}",
    "twitter": "https://twitter.com/intent/tweet?url={url}&text={title}",
    "whatsapp": "https://api.whatsapp.com/send?text={title}%20{url}",
    "line": "https://social-plugins.line.me/lineit/share?url={url}&text={title}",
    "sms": "sms:?body={title}%20{url}",
}

#: Image attributes carried over to ``<img>`` (HTML's ``img`` content attributes that
#: ``amp-img`` accepts too), in output order.
_IMG_ATTRIBUTES = ("src", "srcset", "sizes", "width", "height", "alt", "title", "class", "id",
                   "crossorigin", "referrerpolicy")
_MEDIA_ATTRIBUTES = ("src", "poster", "width", "height", "class", "id", "controls", "autoplay",
                     "loop", "muted", "playsinline", "crossorigin", "preload")
_IFRAME_ATTRIBUTES = ("src", "title", "width", "height", "class", "id", "sandbox", "allow",
                      "allowfullscreen", "referrerpolicy")
#: Images shown at once (the page's largest paint, the header): never lazy.
_EAGER_CONTAINERS = ("hero-image", "site-header")
#: What players may do in their frames (the permissions YouTube's own embed code asks for).
_PLAYER_ALLOW = ("accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; "
                 "picture-in-picture; web-share")


def canonical_page(amp_html: str, *, amp_url: str, theme: str = "default") -> str:
    """The canonical non-AMP page of a rendered AMP page (see the module).

    Args:
        amp_html: the AMP page, as :func:`amp_publisher.core.rendering.render` made it (it
            passed the publish gate).
        amp_url: the AMP page's absolute URL (``<link rel=amphtml>``).
        theme: the site's theme; its ``canonical.css`` is appended to its stylesheet.

    Returns:
        The HTML document (``<!doctype html>`` …), deterministic for equal inputs.
    """
    from amp_publisher.core.conversion.tree import parse_document, serialize_document

    root = parse_document(amp_html)
    for step in STEPS:
        step(root, amp_url=amp_url, theme=theme)
    return serialize_document(root)


# --- the steps --------------------------------------------------------------------------------


def _html_element(root: etree._Element, **_: str) -> None:
    """Step 1: ``<html ⚡>``/``<html amp>`` lose the AMP attribute (the parser names ``⚡``
    ``___``, as XML cannot hold it)."""
    for name in ("___", "amp", "⚡"):
        root.attrib.pop(name, None)


def _head(root: etree._Element, *, amp_url: str, theme: str) -> None:
    """Step 2: runtime, component scripts and boilerplate out; plain ``<style>`` with
    ``canonical.css``; ``<link rel=amphtml>`` after the canonical link."""
    from amp_publisher.core.conversion.tree import detach, new_element
    from amp_publisher.core.theme import theme_css

    head = root.find("head")
    if head is None:
        return
    for el in list(head):
        if not isinstance(el.tag, str):
            continue
        if (el.tag == "script" and el.get("type") != "application/ld+json") \
                or (el.tag == "style" and "amp-boilerplate" in el.attrib) \
                or el.tag == "noscript":  # only the boilerplate's noscript lives in an AMP head
            if not (el.tail or "").strip():
                el.tail = None  # no blank line where the element was
            detach(el)
        elif el.tag == "style" and "amp-custom" in el.attrib:
            del el.attrib["amp-custom"]
            el.text = (el.text or "") + theme_css(theme, "canonical.css")
    canonical = head.find("link[@rel='canonical']")
    link = new_element("link", {"rel": "amphtml", "href": amp_url})
    if canonical is not None:
        canonical.addnext(link)
        link.tail, canonical.tail = canonical.tail, "\n"
    else:
        head.append(link)


def _body(root: etree._Element, **_: str) -> None:
    """Step 3: every AMP component of the body as its HTML element (:data:`ELEMENTS`),
    innermost first so a replaced parent sees its converted children."""
    from amp_publisher.core.conversion.tree import unwrap

    body = root.find("body")
    if body is None:
        return
    components = [el for el in body.iter() if isinstance(el.tag, str)
                  and el.tag.startswith("amp-")]
    for el in reversed(components):
        handler = ELEMENTS.get(el.tag)
        if handler is not None:
            handler(el)
        else:
            _drop_children(el, "placeholder", "fallback")
            unwrap(el)


def _attributes(root: etree._Element, **_: str) -> None:
    """Step 4: AMP-only attributes removed from every element."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in list(el.attrib):
            if name in AMP_ONLY_ATTRIBUTES or name.startswith(("[", "data-amp-bind-")):
                del el.attrib[name]


#: The steps in their order (the module doc says why each one is there).
STEPS: tuple[Callable[..., None], ...] = (_html_element, _head, _body, _attributes)


# --- the elements -----------------------------------------------------------------------------


def _copy(el: etree._Element, names: tuple[str, ...]) -> dict[str, str]:
    return {name: el.get(name, "") for name in names if name in el.attrib}


def _swap(old: etree._Element, tag: str, attrs: dict[str, str],
          keep_children: bool = False) -> etree._Element:
    """Put a new ``tag`` element in ``old``'s place (its children moved over when
    ``keep_children``)."""
    from amp_publisher.core.conversion.tree import new_element, replace

    new = new_element(tag, attrs)
    if keep_children:
        new.text = old.text
        for child in list(old):
            new.append(child)
    replace(old, new)
    return new


def _drop_children(el: etree._Element, *marks: str) -> None:
    from amp_publisher.core.conversion.tree import detach

    for child in list(el):
        if isinstance(child.tag, str) and any(mark in child.attrib for mark in marks):
            detach(child)


def _eager(el: etree._Element) -> bool:
    for ancestor in el.iterancestors():
        classes = (ancestor.get("class") or "").split()
        if any(name in classes for name in _EAGER_CONTAINERS):
            return True
    return False


def _img(el: etree._Element) -> None:
    """``amp-img``/``amp-anim`` → ``<img>``; ``sizes`` only with a ``srcset`` (HTML requires
    it), lazy loading except in the hero and the header."""
    attrs = _copy(el, _IMG_ATTRIBUTES)
    if "srcset" not in attrs:
        attrs.pop("sizes", None)
    attrs.setdefault("alt", "")
    if _eager(el):
        attrs["decoding"] = "async"
        if any("hero-image" in (a.get("class") or "") for a in el.iterancestors()):
            attrs["fetchpriority"] = "high"
    else:
        attrs.update(loading="lazy", decoding="async")
    _swap(el, "img", attrs)


def _media(tag: str) -> Callable[[etree._Element], None]:
    """``amp-video``/``amp-audio`` → ``<video>``/``<audio>``: ``<source>`` and ``<track>``
    children kept, the ``fallback`` content kept as what a browser that cannot play shows."""

    def convert(el: etree._Element) -> None:
        _drop_children(el, "placeholder")
        attrs = _copy(el, _MEDIA_ATTRIBUTES)
        if tag == "audio":
            attrs.pop("width", None)
            attrs.pop("height", None)
        attrs.setdefault("preload", "metadata")
        _swap(el, tag, attrs, keep_children=True)

    return convert


def _ratio_style(el: etree._Element, attrs: dict[str, str]) -> None:
    """A responsive frame keeps its box's ratio (``aspect-ratio``; HTML maps width/height to a
    ratio for images and video only); a fixed-height one keeps its height."""
    width, height = el.get("width", ""), el.get("height", "")
    if el.get("layout") in ("responsive", "fill", "flex-item", None) and width.isdigit() \
            and height.isdigit() and int(width) and int(height):
        attrs["style"] = f"aspect-ratio: {width} / {height}"


def _iframe(el: etree._Element) -> None:
    """``amp-iframe`` → ``<iframe loading="lazy">``, its sandbox as the converter limited it."""
    attrs = _copy(el, _IFRAME_ATTRIBUTES)
    attrs["loading"] = "lazy"
    _ratio_style(el, attrs)
    _swap(el, "iframe", attrs)


def _embed(el: etree._Element) -> None:
    """An embed component → an ``<iframe>`` on the provider's player; the post's own text
    (the ``placeholder`` the converter kept from the pasted blockquote) stays after it."""
    from amp_publisher.core.conversion.embeds import player_url
    from amp_publisher.core.conversion.tree import unwrap

    url = player_url(el.tag, dict(el.attrib))
    if url is None:
        _drop_children(el, "placeholder", "fallback")
        unwrap(el)
        return
    attrs = {"src": url, "title": f"{_PROVIDER_NAMES[el.tag]} embed",
             **_copy(el, ("width", "height", "class", "id")),
             "loading": "lazy", "allow": _PLAYER_ALLOW, "allowfullscreen": "",
             "referrerpolicy": "strict-origin-when-cross-origin"}
    _ratio_style(el, attrs)
    if el.get("layout") == "fixed-height":
        attrs.pop("width", None)
    _drop_children(el, "fallback")
    iframe = _swap(el, "iframe", attrs)
    for child in reversed([c for c in el if isinstance(c.tag, str) and "placeholder" in c.attrib]):
        child.tail = None
        iframe.addnext(child)  # the post's text, for readers whose browser blocks the frame


def _carousel(el: etree._Element) -> None:
    """``amp-carousel`` → ``<div class="… carousel">`` of its slides (``canonical.css``
    scrolls them sideways with scroll snap; no script)."""
    classes = " ".join(filter(None, [el.get("class"), "carousel"]))
    _swap(el, "div", {"class": classes}, keep_children=True)


def _share(el: etree._Element) -> None:
    """``amp-social-share`` → a link to the network's share URL for the page
    (``data-param-url``), titled like the page; ``system`` and unknown types are dropped."""
    from amp_publisher.core.conversion.tree import detach

    kind = el.get("type", "")
    template = SHARE_URLS.get(kind)
    if template is None or (kind == "facebook" and not el.get("data-param-app_id")):
        detach(el)
        return
    root = el.getroottree().getroot()
    title = root.findtext("head/title") or ""
    href = template.format(url=quote(el.get("data-param-url", ""), safe=""),
                           title=quote(title, safe=""),
                           app_id=quote(el.get("data-param-app_id", ""), safe=""))
    label = el.get("aria-label") or kind
    link = _swap(el, "a", {"class": f"share-link share-{kind}", "href": href,
                           "aria-label": label, "rel": "noopener", "target": "_blank"})
    link.text = label.split(": ", 1)[-1]


def _remove(el: etree._Element) -> None:
    from amp_publisher.core.conversion.tree import detach

    detach(el)


#: The embed components and the provider names their frames are titled with.
_PROVIDER_NAMES = {"amp-youtube": "YouTube", "amp-vimeo": "Vimeo",
                   "amp-dailymotion": "Dailymotion", "amp-twitter": "X (Twitter)",
                   "amp-instagram": "Instagram", "amp-facebook": "Facebook",
                   "amp-tiktok": "TikTok", "amp-soundcloud": "SoundCloud"}


#: AMP component → its conversion. Components not named here are replaced by their content.
ELEMENTS: dict[str, Callable[[etree._Element], None]] = {
    "amp-img": _img, "amp-anim": _img,
    "amp-video": _media("video"), "amp-audio": _media("audio"),
    "amp-iframe": _iframe,
    **dict.fromkeys(_PROVIDER_NAMES, _embed),
    "amp-carousel": _carousel,
    "amp-social-share": _share,
    "amp-analytics": _remove, "amp-consent": _remove, "amp-pixel": _remove,
}
