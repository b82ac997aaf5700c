"""Article body → AMP markup, through the converter alone (DESIGN §3, §5).

Every element of a page's content passes one path: the article's blocks are written as plain
HTML, and whatever needs AMP markup (images, galleries, video, audio; ``html`` blocks and the
inline ``html`` of paragraphs and quotes; a ``body_html`` or ``body_markdown``) goes through
:func:`amp_publisher.core.conversion.convert_html`, which writes the AMP elements, measures
images, picks their layout and reports every change in one report. The hero image is written
and converted the same way (:func:`convert_hero`). Blocks of text (headings, plain-text
paragraphs, quotes and lists, code, tables, dividers) are escaped text in plain HTML elements,
with nothing to convert; they are not sent through the converter, whose embed step would turn a
paragraph holding only a URL into a player (a plain-text field is text).

A page's media blocks and its hero image go through the converter together, in one call
(:func:`amp_publisher.core.conversion.convert_fragments`): a conversion's fixed cost dominates
for such small fragments, and each fragment still comes out as it would alone, with its own
report entries in their place. When that cannot be guaranteed (an image to measure, say) each is
converted on its own, as the other blocks are.

How each media block is written (the converter's rules then apply, as to any CMS body):

* ``image`` → ``<figure class="image"><img … data-amp-layout="responsive">`` and a
  ``<figcaption>`` of its caption and credit (``responsive``: the image fills the column);
* ``gallery`` → ``<ul class="gallery" data-amp-carousel>`` of ``<li><figure><img>`` items, an
  ``amp-carousel`` of slides (:mod:`amp_publisher.core.conversion.galleries`);
* ``video``/``audio`` → ``<figure class="video|audio"><video|audio src controls>`` with a link to
  the file as fallback content (:mod:`amp_publisher.core.conversion.media`);
* ``embed`` → the component of :func:`amp_publisher.core.conversion.render_embed`.

Image sizes: the block's ``width``/``height``, else the image-size resolver, else the
converter's documented fallback (:data:`~amp_publisher.core.conversion.images.FALLBACK_SIZE`).
URLs the theme writes are kept as given (site-relative paths stay relative); ``html`` blocks and
HTML bodies resolve relative URLs against the site's base URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from amp_publisher.core.errors import ConversionError
from amp_publisher.core.image_sizes import ImageSizeResolver
from amp_publisher.core.models import (
    Article,
    Audio,
    Code,
    Divider,
    Embed,
    Gallery,
    Heading,
    HTMLBlock,
    Image,
    ImageBlock,
    ListBlock,
    Paragraph,
    Quote,
    Table,
    Video,
)
from amp_publisher.core.site import SiteConfig

__all__ = ["Body", "convert_body", "convert_hero", "image_html"]


@dataclass
class Body:
    """The converted body while it is being built.

    Attributes:
        parts: AMP HTML fragments, one per block (or one for an HTML/Markdown body).
        extensions: AMP components the fragments use (``{"amp-carousel"}``).
        css: CSS chunks moved out of the body by the converter, in order.
        report: the converter's report entries, in the order made, for every block (and the
            hero image's last).
        css_budget: UTF-8 bytes of CSS the whole body may add (AMP's budget minus the theme's).
        css_read: UTF-8 bytes of raw CSS the conversions read so far: the whole body may read
            :data:`~amp_publisher.core.conversion.styles.CSS_READ_FACTOR` × ``css_budget``,
            however many blocks it has.
        hero: the article's lead image, converted (:func:`convert_hero`), or ``None`` (none, or
            not converted yet).
    """

    parts: list[str] = field(default_factory=list)
    extensions: set[str] = field(default_factory=set)
    css: list[str] = field(default_factory=list)
    report: list[Any] = field(default_factory=list)
    css_budget: int | None = None
    css_read: int = 0
    hero: Markup | None = None

    def add_converted(self, result: Any) -> str:
        """Take a :class:`~amp_publisher.core.conversion.ConversionResult` in: its components,
        CSS and report; returns its HTML."""
        self.extensions.update(result.extensions)
        if result.css:
            self.css.append(result.css)
        self.report.extend(result.report)
        return result.html

    def convert(self, html: str, *, inline: bool = False, base_url: str | None = None,
                image_sizes: ImageSizeResolver | None = None) -> str:
        """Convert ``html`` (:func:`amp_publisher.core.conversion.convert_html`) within what is
        left of the CSS budget and of the raw CSS the body may read, and take the result in;
        returns the AMP HTML."""
        from amp_publisher.core.amp.css import utf8_bytes
        from amp_publisher.core.conversion import convert_html
        from amp_publisher.core.conversion.styles import CSS_READ_FACTOR

        budget = read_limit = None
        if self.css_budget is not None:
            budget = max(self.css_budget - sum(utf8_bytes(css) for css in self.css), 0)
            read_limit = max(CSS_READ_FACTOR * self.css_budget - self.css_read, 0)
        result = convert_html(html, inline=inline, base_url=base_url, image_sizes=image_sizes,
                              css_budget=budget, css_read_limit=read_limit)
        self.css_read += result.css_read
        return self.add_converted(result)


def convert_body(article: Article, site: SiteConfig, image_sizes: ImageSizeResolver | None,
                 *, css_budget: int | None = None, hero_sizes: str | None = None) -> Body:
    """The article's body and lead image as AMP markup.

    Args:
        article: a validated article; exactly one of ``body``, ``body_html``,
            ``body_markdown`` is set.
        site: the site (its ``base_url`` resolves relative URLs of HTML; its
            ``extract_whole_pages`` applies to a whole page given as ``body_html``).
        image_sizes: resolver of image sizes, or ``None`` (fallback size).
        css_budget: UTF-8 bytes of CSS the body may add, or ``None`` for no limit.
        hero_sizes: AMP's layout ``sizes`` of the lead image (:func:`convert_hero`).

    Returns:
        A :class:`Body`; :attr:`Body.hero` is the lead image (``article.image``) converted,
        its report entries after the body's.

    Raises:
        amp_publisher.core.errors.ConversionError: the body cannot be converted (too many
            elements; an embed block the renderer cannot build).
    """
    body = Body(css_budget=css_budget)
    if article.body_html is not None:
        html = article.body_html
        if site.extract_whole_pages:  # a whole page pasted as the body: keep its article only
            from amp_publisher.core.conversion.whole_page import extract_article

            html, entries = extract_article(html, url=article.canonical_url)
            body.report.extend(entries)
        with _located("body_html"):
            body.parts.append(body.convert(html, base_url=site.base_url,
                                           image_sizes=image_sizes))
    elif article.body_markdown is not None:
        from amp_publisher.core.conversion.markdown import markdown_to_html

        html = markdown_to_html(article.body_markdown)
        with _located("body_markdown"):
            body.parts.append(body.convert(html, base_url=site.base_url,
                                           image_sizes=image_sizes))
    else:
        _convert_blocks(body, article, site, image_sizes, hero_sizes)
        return body
    if article.image is not None:
        with _located("image"):
            body.hero = convert_hero(body, article.image, image_sizes, sizes=hero_sizes)
    return body


@contextlib.contextmanager
def _located(prefix: str) -> Iterator[None]:
    """A :class:`ConversionError` raised while converting the part of the article at JSON path
    ``prefix`` gets the article's path: ``body_html``, or ``body[3].id`` for the ``id`` of the
    fourth block (the converter knows only the part it was given)."""
    try:
        yield
    except ConversionError as exc:
        exc.path = f"{prefix}.{exc.path}" if exc.path else prefix
        raise


def _convert_blocks(body: Body, article: Article, site: SiteConfig,
                    image_sizes: ImageSizeResolver | None, hero_sizes: str | None) -> None:
    """The article's blocks into ``body.parts``, then its hero image: the media blocks and the
    hero in one converter call when it gives what one call each would, else one by one."""
    from amp_publisher.core.conversion import convert_fragments

    blocks = list(article.body or ())
    media = {i: _MEDIA[type(block)](block) for i, block in enumerate(blocks)
             if type(block) in _MEDIA}
    hero = (image_html(article.image, css_class="hero-image", sizes=hero_sizes, hero=True)
            if article.image is not None else None)
    fragments = [*media.values(), *([hero] if hero is not None else [])]
    with _located("body"):  # one call for all of them: no one block to name
        together = (convert_fragments(fragments, image_sizes=image_sizes)
                    if len(fragments) > 1 else None)
    if together is not None:
        body.extensions.update(together.extensions)
    converted = iter(range(len(fragments)))

    def take(html: str, measured: bool) -> str:
        if together is None:
            return body.convert(html, image_sizes=image_sizes if measured else None)
        k = next(converted)
        body.report.extend(together.reports[k])
        return together.html[k]

    for i, block in enumerate(blocks):
        with _located(f"body[{i}]"):
            if i in media:
                body.parts.append(take(media[i], type(block) in _MEASURED))
            else:
                body.parts.append(_BLOCKS[type(block)](body, block, site, image_sizes))
    if hero is not None:
        with _located("image"):
            body.hero = Markup(take(hero, True))


def convert_hero(body: Body, image: Image, image_sizes: ImageSizeResolver | None, *,
                 sizes: str | None = None) -> Markup:
    """The article's lead image as a converted ``<figure class="hero-image">``, marked
    ``data-hero`` (the AMP Optimizer's hero marker: a transformed page renders and preloads it
    before the runtime, :mod:`amp_publisher.core.amp.transform.hero`). ``sizes`` is AMP's layout
    ``sizes`` (the width the theme gives the image). Its report entries and components join
    ``body``'s. (:func:`convert_body` converts it with the media blocks when it can.)"""
    html = image_html(image, css_class="hero-image", sizes=sizes, hero=True)
    return Markup(body.convert(html, image_sizes=image_sizes))


def image_html(image: Image, *, css_class: str, sizes: str | None = None,
               hero: bool = False) -> str:
    """An image as plain HTML: ``<figure class=…><img …>`` and a ``<figcaption>`` of its
    caption and credit, for the converter. The image is ``data-amp-layout="responsive"`` (it
    fills the column, whatever its natural size); ``width``/``height`` are written when the
    article gives them (the converter measures the others)."""
    caption = []
    if image.caption:
        caption.append(f'<span class="caption">{escape(image.caption)}</span>')
    if image.credit:
        caption.append(f'<span class="credit">{escape(image.credit)}</span>')
    figcaption = f"<figcaption>{' '.join(caption)}</figcaption>" if caption else ""
    return f'<figure class="{escape(css_class)}">{_img(image, sizes=sizes, hero=hero)}' \
           f'{figcaption}</figure>'


def _img(image: Image, *, sizes: str | None = None, hero: bool = False) -> str:
    size = "".join(f' {name}="{value}"' for name, value in (("width", image.width),
                                                            ("height", image.height)) if value)
    sizes_attr = f' sizes="{escape(sizes)}"' if sizes else ""
    return (f'<img src="{escape(image.src)}"{size} alt="{escape(image.alt)}"{sizes_attr}'
            f'{" data-hero" if hero else ""} data-amp-layout="responsive">')


def _text_or_html(body: Body, block: Paragraph | Quote, site: SiteConfig,
                  image_sizes: ImageSizeResolver | None) -> str:
    if block.text is not None:
        return str(escape(block.text))
    return body.convert(block.html or "", inline=True, base_url=site.base_url,
                        image_sizes=image_sizes)


def _paragraph(body: Body, block: Paragraph, site: SiteConfig, sizes: Any) -> str:
    return f"<p>{_text_or_html(body, block, site, sizes)}</p>"


def _heading(body: Body, block: Heading, site: SiteConfig, sizes: Any) -> str:
    return f"<h{block.level}>{escape(block.text)}</h{block.level}>"


def _quote(body: Body, block: Quote, site: SiteConfig, sizes: Any) -> str:
    cite = f"<cite>{escape(block.cite)}</cite>" if block.cite else ""
    return f"<blockquote><p>{_text_or_html(body, block, site, sizes)}</p>{cite}</blockquote>"


def _list(body: Body, block: ListBlock, site: SiteConfig, sizes: Any) -> str:
    tag = "ol" if block.ordered else "ul"
    items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
    return f"<{tag}>{items}</{tag}>"


def _image(block: ImageBlock) -> str:
    return image_html(block, css_class="image")


def _gallery(block: Gallery) -> str:
    items = []
    for image in block.images:
        caption = f"<figcaption>{escape(image.caption)}</figcaption>" if image.caption else ""
        items.append(f"<li><figure>{_img(image)}{caption}</figure></li>")
    return f'<ul class="gallery" data-amp-carousel>{"".join(items)}</ul>'


def _embed(body: Body, block: Embed, site: SiteConfig, sizes: Any) -> str:
    from amp_publisher.core.conversion import render_embed

    html = body.add_converted(render_embed(block.provider, id=block.id, url=block.url))
    if block.caption:
        caption = f"<figcaption>{escape(block.caption)}</figcaption>"
        return f'<figure class="embed">{html}{caption}</figure>'
    return f'<figure class="embed">{html}</figure>'


def _caption(text: str | None) -> str:
    return f"<figcaption>{escape(text)}</figcaption>" if text else ""


def _video(block: Video) -> str:
    size = (f' width="{block.width}" height="{block.height}"'
            if block.width and block.height else "")  # else the converter's 16:9 box
    poster = f' poster="{escape(block.poster)}"' if block.poster else ""
    return (f'<figure class="video"><video src="{escape(block.src)}"{size}{poster} controls>'
            f'Your browser does not play this video. <a href="{escape(block.src)}">Download '
            f'it</a>.</video>{_caption(block.caption)}</figure>')


def _audio(block: Audio) -> str:
    return (f'<figure class="audio"><audio src="{escape(block.src)}" controls>'
            f'<a href="{escape(block.src)}">Listen</a></audio>{_caption(block.caption)}</figure>')


def _code(body: Body, block: Code, site: SiteConfig, sizes: Any) -> str:
    lang = f' class="language-{escape(block.language)}"' if block.language else ""
    return f"<pre><code{lang}>{escape(block.text)}</code></pre>"


def _table(body: Body, block: Table, site: SiteConfig, sizes: Any) -> str:
    def row(cells: Iterable[str], cell: str) -> str:
        return "<tr>" + "".join(f"<{cell}>{escape(c)}</{cell}>" for c in cells) + "</tr>"

    caption = f"<caption>{escape(block.caption)}</caption>" if block.caption else ""
    head = f"<thead>{row(block.header, 'th')}</thead>" if block.header else ""
    rows = "".join(row(r, "td") for r in block.rows)
    return f'<div class="table"><table>{caption}{head}<tbody>{rows}</tbody></table></div>'


def _divider(body: Body, block: Divider, site: SiteConfig, sizes: Any) -> str:
    return "<hr>"


def _html(body: Body, block: HTMLBlock, site: SiteConfig, sizes: Any) -> str:
    return body.convert(block.html, base_url=site.base_url, image_sizes=sizes)


_BLOCKS: dict[type, Callable[..., str]] = {
    Paragraph: _paragraph, Heading: _heading, Quote: _quote, ListBlock: _list, Embed: _embed,
    Code: _code, Table: _table, Divider: _divider, HTMLBlock: _html,
}
"""Blocks other than media: each writes its part (converting what it must on its own)."""

_MEDIA: dict[type, Callable[[Any], str]] = {
    ImageBlock: _image, Gallery: _gallery, Video: _video, Audio: _audio,
}
"""Media blocks: each gives its plain HTML, which the converter turns into AMP."""

_MEASURED = (ImageBlock, Gallery)
"""Media blocks whose images the image-size resolver measures (a video's poster is not)."""
