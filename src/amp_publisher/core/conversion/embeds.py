"""Step 1: embeds → AMP components (``amp-youtube``, ``amp-vimeo``, ``amp-dailymotion``,
``amp-twitter``, ``amp-instagram``, ``amp-facebook``, ``amp-tiktok``, ``amp-soundcloud``).

Which host belongs to which component is data: the ``components`` of the embed policy
(``embed_policy.json``, read by :mod:`~amp_publisher.core.conversion.policy`); this module reads
each provider's item id out of its URLs.

What counts as an embed (the forms CMSs paste, as the WordPress AMP plugin's embed handlers
recognise them):

* an ``<iframe>`` whose ``src`` is a provider's player URL (YouTube incl. ``youtube-nocookie.com``
  and ``/shorts/``; ``player.vimeo.com``; Dailymotion's ``/embed/video/``; TikTok's ``/embed/v2/``;
  Facebook's ``plugins/post.php``/``video.php``;
  Instagram's ``/embed``; ``w.soundcloud.com/player``);
* the providers' blockquote embed code (``blockquote.twitter-tweet``,
  ``blockquote.instagram-media``, ``.fb-post``/``.fb-video``), whose text is kept inside the
  component as its ``placeholder`` (shown until the embed loads, so no text is lost);
* a bare URL alone in a paragraph (as text, or as a link whose text is the URL), as WordPress
  turns "a URL on its own line" into an embed; not in inline content.

The providers' widget scripts (``platform.twitter.com/widgets.js``, Instagram's ``embed.js``,
Facebook's SDK, …) are removed here with a ``CONVERTED_EMBED`` entry: the AMP component loads
its own. This step runs first so that the generic passes never see the raw iframe or script.

Component rules: each component's validator file in ``third_party/amp-spec/extensions/`` (e.g.
``amp-youtube`` needs ``data-videoid`` matching ``[^=/?:]+``; ``amp-vimeo`` a numeric
``data-videoid``; ``amp-soundcloud`` a numeric ``data-trackid`` or ``data-playlistid``).

Example:
    >>> el, ext = build_embed("youtube", {"videoid": "dQw4w9WgXcQ", "start": "42"})
    >>> from amp_publisher.core.conversion.tree import serialize_children, new_element
    >>> box = new_element("div"); box.append(el)
    >>> serialize_children(box)
    '<amp-youtube data-videoid="dQw4w9WgXcQ" layout="responsive" width="480" height="270" \
data-param-start="42"></amp-youtube>'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.policy import component_for, component_provider
from amp_publisher.core.conversion.report import remove_element, replace_element
from amp_publisher.core.conversion.tree import (
    iter_elements,
    new_element,
    removed_text,
    tag_of,
    visible_text,
)

__all__ = ["EMBED_SIZES", "VENDOR_SCRIPT_HOSTS", "EmbedStep", "embed_for_url", "build_embed",
           "player_url"]

EMBED_SIZES: dict[str, tuple[int, int]] = {
    "youtube": (480, 270),
    "youtube-shorts": (270, 480),
    "vimeo": (480, 270),
    "twitter": (375, 472),
    "instagram": (400, 400),
    "facebook": (552, 310),
    "dailymotion": (480, 270),
    "tiktok": (325, 575),
}
"""Default width × height (an aspect ratio for ``layout="responsive"``) per provider when the
pasted code gives none: 16:9 for video players (9:16 for YouTube Shorts), and the sizes the
component docs on amp.dev use for posts (amp-twitter 375×472, amp-instagram 1:1, amp-facebook
552×310, amp-tiktok 325×575)."""

SOUNDCLOUD_HEIGHT = 166
"""amp-soundcloud classic player height in px (``layout="fixed-height"``); 300 for the visual
player (``data-visual="true"``), as in the amp-soundcloud docs."""

VENDOR_SCRIPT_HOSTS = {"platform.twitter.com": "amp-twitter", "instagram.com": "amp-instagram",
                       "connect.facebook.net": "amp-facebook", "w.soundcloud.com": "amp-soundcloud",
                       "youtube.com": "amp-youtube", "player.vimeo.com": "amp-vimeo"}
"""Hosts of the embed widget scripts, and the AMP component that replaces each."""

_RULE = "https://amp.dev/documentation/components/{}/"

_YT_ID = r"([A-Za-z0-9_-]{6,})"
_TWEET = re.compile(r"^/(?:#!/)?[A-Za-z0-9_]+/status(?:es)?/(\d+)")
_INSTAGRAM = re.compile(r"^/(?:[A-Za-z0-9_.]+/)?(?:p|reel|tv)/([A-Za-z0-9_-]+)")
_VIMEO = re.compile(r"^/(?:video/|channels/[^/]+/|groups/[^/]+/videos/)?(\d+)(?:/|$)")
_SOUNDCLOUD_API = re.compile(r"api\.soundcloud\.com/(tracks|playlists)/(\d+)")
_FACEBOOK_VIDEO = re.compile(r"/videos/|/watch/?|video\.php")
_DAILYMOTION = re.compile(r"^/(?:embed/)?video/([A-Za-z0-9]+)")
_DAILYMOTION_SHORT = re.compile(r"^/([A-Za-z0-9]+)")
_DAILYMOTION_ID = re.compile(r"x[A-Za-z0-9]+|[A-Za-z0-9]{5,}")
_TIKTOK = re.compile(r"^/(?:embed/(?:v2/)?|@[^/]+/video/|v/)(\d{6,})")


def _seconds(value: str) -> str | None:
    """YouTube start times: ``90``, ``90s``, ``1m30s``, ``1h2m3s`` → seconds as a string."""
    if value.isdigit():
        return str(int(value))
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", value)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return str(hours * 3600 + minutes * 60 + seconds)


def embed_for_url(url: str) -> tuple[str, dict[str, str]] | None:
    """Recognise a provider URL (player iframe ``src`` or a page URL).

    Returns:
        ``(provider, params)`` with provider one of the policy's ``components``
        (``youtube``, ``vimeo``, ``dailymotion``, ``twitter``, ``instagram``, ``facebook``,
        ``tiktok``, ``soundcloud``; :mod:`~amp_publisher.core.conversion.policy`);
        ``params`` such as ``{"videoid": ..., "start": ...}``. ``None`` when the URL is no embed
        this module knows.

    Example:
        >>> embed_for_url("https://youtu.be/dQw4w9WgXcQ?t=1m5s")
        ('youtube', {'videoid': 'dQw4w9WgXcQ', 'start': '65'})
        >>> embed_for_url("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0")
        ('youtube', {'videoid': 'dQw4w9WgXcQ', 'nocookie': 'true'})
        >>> embed_for_url("https://example.com/watch?v=1") is None
        True
    """
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    path = parts.path
    query = parse_qs(parts.query)
    fragment = parse_qs(parts.fragment)
    provider = component_provider(url)  # the policy data says whose host it is

    if provider == "youtube":
        video_id = None
        shorts = False
        if host == "youtu.be":
            m = re.match("^/" + _YT_ID, path)
            video_id = m.group(1) if m else None
        else:
            m = re.match(r"^/(embed|v|shorts|live|e)/" + _YT_ID, path)
            if m:
                video_id, shorts = m.group(2), m.group(1) == "shorts"
            elif path.rstrip("/") == "/watch" and query.get("v"):
                m = re.fullmatch(_YT_ID, query["v"][0])
                video_id = m.group(1) if m else None
        if not video_id or video_id == "videoseries":
            return None
        params = {"videoid": video_id}
        start = (query.get("start") or query.get("t") or fragment.get("t") or [None])[0]
        if start and (seconds := _seconds(start)) and seconds != "0":
            params["start"] = seconds
        if shorts:
            params["shorts"] = "true"
        if host.endswith("youtube-nocookie.com"):
            params["nocookie"] = "true"
        return "youtube", params
    if provider == "vimeo":
        m = _VIMEO.match(path)
        return ("vimeo", {"videoid": m.group(1)}) if m else None
    if provider == "dailymotion":
        # www.dailymotion.com/video/x8abc, /embed/video/x8abc, dai.ly/x8abc,
        # geo.dailymotion.com/player/xyz.html?video=x8abc
        m = (_DAILYMOTION_SHORT.match(path) if host == "dai.ly" else _DAILYMOTION.match(path))
        video_id = m.group(1) if m else (query.get("video") or [None])[0]
        if not video_id or not _DAILYMOTION_ID.fullmatch(video_id):
            return None
        params = {"videoid": video_id}
        start = (query.get("start") or [None])[0]
        if start and start.isdigit() and start != "0":
            params["start"] = start
        return "dailymotion", params
    if provider == "tiktok":
        m = _TIKTOK.search(path)
        return ("tiktok", {"videoid": m.group(1)}) if m else None
    if provider == "twitter":
        m = _TWEET.match(path)
        return ("twitter", {"tweetid": m.group(1)}) if m else None
    if provider == "instagram":
        m = _INSTAGRAM.match(path)
        return ("instagram", {"shortcode": m.group(1)}) if m else None
    if provider == "facebook":
        if path.startswith("/plugins/") and query.get("href"):
            href = query["href"][0]
            kind = "video" if "video.php" in path else "post"
            return "facebook", {"href": href, "embed_as": kind}
        if re.search(r"/(posts|videos|photos|permalink\.php|story\.php|watch)", path):
            kind = "video" if _FACEBOOK_VIDEO.search(path) else "post"
            return "facebook", {"href": url, "embed_as": kind}
        return None
    if provider == "soundcloud" and host == "w.soundcloud.com" and query.get("url"):
        m = _SOUNDCLOUD_API.search(unquote(query["url"][0]))
        if m:
            key = "trackid" if m.group(1) == "tracks" else "playlistid"
            params = {key: m.group(2)}
            if query.get("visual", ["false"])[0].lower() == "true":
                params["visual"] = "true"
            return "soundcloud", params
        return None
    if provider == "soundcloud" and host == "api.soundcloud.com":
        m = _SOUNDCLOUD_API.search(host + path)
        if m:
            return "soundcloud", {("trackid" if m.group(1) == "tracks" else "playlistid"):
                                  m.group(2)}
    return None


def build_embed(provider: str, params: dict[str, str], size: tuple[int, int] | None = None,
                ) -> tuple[etree._Element, str]:
    """The AMP component element for a recognised embed, and its extension name.

    Args:
        provider: as returned by :func:`embed_for_url`.
        params: as returned by :func:`embed_for_url`.
        size: width × height in CSS px from the pasted code, or ``None`` for
            :data:`EMBED_SIZES`.

    Raises:
        ValueError: unknown provider.
    """
    try:
        extension = component_for(provider)
    except KeyError:
        raise ValueError(f"unknown embed provider {provider!r}") from None
    if provider == "soundcloud":
        attrs = {k if k.startswith("data-") else f"data-{k}": v for k, v in params.items()}
        height = 300 if params.get("visual") == "true" else SOUNDCLOUD_HEIGHT
        attrs.update({"layout": "fixed-height", "height": str(height)})
        return new_element(extension, attrs), extension
    key = "youtube-shorts" if params.get("shorts") else provider
    width, height = size or EMBED_SIZES[key]
    attrs: dict[str, str] = {}
    if provider in ("youtube", "vimeo", "dailymotion"):
        attrs["data-videoid"] = params["videoid"]
    elif provider == "tiktok":
        attrs["data-src"] = params["videoid"]
    elif provider == "twitter":
        attrs["data-tweetid"] = params["tweetid"]
    elif provider == "instagram":
        attrs["data-shortcode"] = params["shortcode"]
        attrs["data-captioned"] = ""
    elif provider == "facebook":
        attrs["data-href"] = params["href"]
        if params.get("embed_as") == "video":
            attrs["data-embed-as"] = "video"
    attrs.update({"layout": "responsive", "width": str(width), "height": str(height)})
    if provider == "dailymotion" and params.get("start"):
        attrs["data-start"] = params["start"]
    if provider == "youtube":
        if params.get("start"):
            attrs["data-param-start"] = params["start"]
        if params.get("nocookie"):
            attrs["credentials"] = "omit"  # amp-youtube's switch to youtube-nocookie.com
    return new_element(extension, attrs), extension


def player_url(component: str, attrs: dict[str, str]) -> str | None:
    """The provider's own player (or post embed) URL for an embed component, the inverse of
    :func:`build_embed`: what a non-AMP page frames in an ``<iframe>`` (paired mode's canonical
    page, :mod:`amp_publisher.core.canonical`). The URLs are the providers' documented embed
    URLs, the ones :func:`embed_for_url` recognises.

    Args:
        component: ``amp-youtube``, ``amp-vimeo``, ``amp-dailymotion``, ``amp-twitter``,
            ``amp-instagram``, ``amp-facebook``, ``amp-tiktok`` or ``amp-soundcloud``.
        attrs: the component's attributes (``data-videoid``, ``data-tweetid``...).

    Returns:
        An https URL, or ``None`` for another component or one lacking its id.

    Example:
        >>> player_url("amp-youtube", {"data-videoid": "dQw4w9WgXcQ", "data-param-start": "42",
        ...                            "credentials": "omit"})
        'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42'
        >>> player_url("amp-soundcloud", {"data-trackid": "243169232"})
        'https://w.soundcloud.com/player/?url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F243169232'
    """
    from urllib.parse import quote, urlencode

    video = attrs.get("data-videoid", "")
    if component == "amp-youtube" and video:
        host = "www.youtube-nocookie.com" if attrs.get("credentials") == "omit" \
            else "www.youtube.com"
        params = {k[len("data-param-"):]: v for k, v in attrs.items()
                  if k.startswith("data-param-")}
        query = f"?{urlencode(params)}" if params else ""
        return f"https://{host}/embed/{quote(video, safe='')}{query}"
    if component == "amp-vimeo" and video:
        return f"https://player.vimeo.com/video/{quote(video, safe='')}"
    if component == "amp-dailymotion" and video:
        start = attrs.get("data-start")
        query = f"?{urlencode({'start': start})}" if start else ""
        return f"https://www.dailymotion.com/embed/video/{quote(video, safe='')}{query}"
    if component == "amp-twitter" and attrs.get("data-tweetid"):
        return ("https://platform.twitter.com/embed/Tweet.html?"
                + urlencode({"id": attrs["data-tweetid"]}))
    if component == "amp-instagram" and attrs.get("data-shortcode"):
        captioned = "captioned/" if "data-captioned" in attrs else ""
        return (f"https://www.instagram.com/p/{quote(attrs['data-shortcode'], safe='')}/embed/"
                f"{captioned}")
    if component == "amp-facebook" and attrs.get("data-href"):
        kind = "video" if attrs.get("data-embed-as") == "video" else "post"
        return f"https://www.facebook.com/plugins/{kind}.php?" + urlencode(
            {"href": attrs["data-href"]})
    if component == "amp-tiktok" and attrs.get("data-src", "").isdigit():
        return f"https://www.tiktok.com/embed/v2/{attrs['data-src']}"
    if component == "amp-soundcloud":
        for kind in ("track", "playlist"):
            if attrs.get(f"data-{kind}id", "").isdigit():
                params = {"url": f"https://api.soundcloud.com/{kind}s/{attrs[f'data-{kind}id']}"}
                if attrs.get("data-visual") == "true":
                    params["visual"] = "true"
                return "https://w.soundcloud.com/player/?" + urlencode(params)
    return None


def _size(el: etree._Element) -> tuple[int, int] | None:
    width, height = el.get("width", ""), el.get("height", "")
    if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return int(width), int(height)
    return None


_URL_WRAPPERS = frozenset({"a", "br", "span", "font", "b", "strong", "em", "i", "u", "small",
                           "big"})
"""Elements a bare URL paragraph may wrap its URL in (editors add formatting around pastes)."""


def _link_url(el: etree._Element) -> str | None:
    """The URL of a paragraph that holds nothing but that URL (as text or a self-named link,
    possibly inside formatting elements)."""
    descendants = [d for d in el.iterdescendants() if isinstance(d.tag, str)]
    if any(tag_of(d) not in _URL_WRAPPERS for d in descendants):
        return None
    text = visible_text(el)
    if not text or " " in text:
        return None
    links = [d for d in descendants if tag_of(d) == "a"]
    if not links:
        return text
    href = links[0].get("href", "").strip()
    if len(links) == 1 and href and text.rstrip("/") == href.rstrip("/"):
        return href
    return None


class EmbedStep:
    """Converts pasted embed code and bare embed URLs into AMP components (see module doc)."""

    name = "embeds"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Convert every embed below ``root``; add the component names to ``ctx.extensions``."""
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            tag = tag_of(el)
            if tag == "iframe":
                self._iframe(el, ctx)
            elif tag == "script":
                self._vendor_script(el, ctx)
            elif tag in ("blockquote", "div"):
                parent = el.getparent()
                if el.get("placeholder") is None and not tag_of(parent).startswith("amp-"):
                    self._blockquote(el, ctx)  # (not an AMP component's own placeholder)
            elif tag == "p" and not ctx.inline:
                self._bare_url(el, ctx)

    def _replace(self, old: etree._Element, provider: str, params: dict[str, str],
                 ctx: ConversionContext, *, size: tuple[int, int] | None = None,
                 placeholder: bool = False, what: str) -> None:
        component, extension = build_embed(provider, params, size)
        lost = ""
        if placeholder:
            # The embed code's own markup (the quoted post) shows until the component loads.
            holder = etree.Element(old.tag, dict(old.attrib))
            holder.text = old.text
            for child in list(old):
                holder.append(child)
            holder.set("placeholder", "")
            component.append(holder)
        else:
            lost = removed_text(old)  # a player iframe's fallback text, too
            if tag_of(old) == "p" and lost:
                lost = ""  # a bare-URL paragraph: the URL is now the embed itself
        replace_element(ctx.reporter, old, component, code="CONVERTED_EMBED",
                        detail=f"{what} converted to <{extension}>",
                        rule=_RULE.format(extension), removed_text=lost)
        ctx.extensions.add(extension)

    def _iframe(self, el: etree._Element, ctx: ConversionContext) -> None:
        src = el.get("src") or el.get("data-src") or ""
        found = embed_for_url(src)
        if found:
            self._replace(el, *found, ctx, size=_size(el), what=f"{found[0]} player iframe")

    def _blockquote(self, el: etree._Element, ctx: ConversionContext) -> None:
        classes = set(el.get("class", "").split())
        found = None
        if "twitter-tweet" in classes or "twitter-video" in classes:
            for link in el.iter("a"):
                found = embed_for_url(link.get("href", ""))
                if found and found[0] == "twitter":
                    break
                found = None
        elif "instagram-media" in classes:
            candidates = [el.get("data-instgrm-permalink", "")]
            candidates += [a.get("href", "") for a in el.iter("a")]
            for href in candidates:
                found = embed_for_url(href)
                if found and found[0] == "instagram":
                    break
                found = None
        elif classes & {"fb-post", "fb-video"} and el.get("data-href"):
            found = ("facebook", {"href": el.get("data-href"),
                                  "embed_as": "video" if "fb-video" in classes else "post"})
        if found:
            self._replace(el, *found, ctx, placeholder=True,
                          what=f"{found[0]} embed code ({tag_of(el)}.{' '.join(sorted(classes))})")

    def _bare_url(self, el: etree._Element, ctx: ConversionContext) -> None:
        url = _link_url(el)
        found = embed_for_url(url) if url else None
        if found:
            self._replace(el, *found, ctx, what=f"bare {found[0]} URL on its own line")

    def _vendor_script(self, el: etree._Element, ctx: ConversionContext) -> None:
        src = el.get("src", "").strip()
        host = (urlsplit("https:" + src if src.startswith("//") else src).hostname or "").lower()
        component = next((c for h, c in VENDOR_SCRIPT_HOSTS.items()
                          if host == h or host.endswith("." + h)), None)
        if component:
            remove_element(ctx.reporter, el, code="CONVERTED_EMBED",
                           detail=f"embed widget script from {host} removed: <{component}> "
                           "loads its own", rule=_RULE.format(component))
