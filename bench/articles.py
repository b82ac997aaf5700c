"""Seeded generator of realistic articles for the bulk benchmark, and their Hugo twins.

:func:`generate` returns article dicts of contract v1 (DESIGN §3) shaped like what news CMSs send:
20–40 body blocks with paragraphs (some with inline HTML), headings, quotes, lists, images with
and without dimensions, galleries, YouTube/Vimeo/Twitter/Instagram embeds, video, tables, code,
dividers and raw ``html`` blocks carrying the usual CMS debris (inline styles, ``<font>``,
scripts, ``<iframe>`` players); about a third of the articles carry the whole body as
``body_html`` instead, as WordPress and Ghost exports do. The words come from the reference
article's text, so sentence and word lengths are those of real news copy.

:func:`to_hugo_markdown` writes the same article as a Hugo content file (YAML front matter and a
Markdown body, with shortcodes for the AMP components), so both tools build the same pages.

Same ``seed`` and ``count`` → the same articles, byte for byte (``random.Random(seed)``).

Example:
    >>> a, b = generate(2, seed=7)
    >>> a == generate(2, seed=7)[0], 20 <= len(a.get("body", [])) <= 40 or "body_html" in a
    (True, True)
"""

from __future__ import annotations

import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["generate", "generate_range", "to_hugo_markdown", "word_pool", "DEFAULT_SEED"]

#: The seed ``make bench`` uses; change it only together with the published table.
DEFAULT_SEED = 20260625

REPO = Path(__file__).resolve().parents[1]
_REFERENCE = REPO / "events" / "articles" / "met-palantir-extension.json"

#: Share of articles whose body arrives as one HTML string (WordPress/Ghost exports).
HTML_BODY_SHARE = 0.33

_SECTIONS = ("News", "Politics", "Technology", "Business", "Culture", "Sport", "Science")
_AUTHORS = ("Sandra Johnson", "Amir Patel", "Lucía Fernández", "Tom Okafor", "Mei Lin",
            "Jonas Weber", "Aisling Byrne", "Kwame Mensah")
_YOUTUBE_IDS = ("dQw4w9WgXcQ", "M7lc1UVf-VE", "aqz-KE-bpKQ", "ScMzIvxBSi4", "jNQXAC9IVRw")
_VIMEO_IDS = ("93206523", "76979871", "22439234", "1084537")
_TWEET_IDS = ("1455782983924736001", "20", "1346889436626259968")
_INSTAGRAM_IDS = ("CVaCSbDlSjK", "B8QYqC1Fz3D", "BMQ2-CKgNXH")
_LANGUAGES = ("python", "json", "bash", None)


@cache
def word_pool() -> tuple[str, ...]:
    """Words of the reference article's body, in order (the generator samples runs of them)."""
    data = json.loads(_REFERENCE.read_text(encoding="utf-8"))
    text = " ".join(block.get("text", "") for block in data["body"])
    return tuple(word for word in re.split(r"\s+", text) if word)


class _Writer:
    """Text of realistic shape: sentences are runs of consecutive reference words."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = word_pool()

    def words_run(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        start = self.rng.randrange(0, len(self.words) - count)
        return " ".join(self.words[start:start + count])

    def sentence(self) -> str:
        text = self.words_run(8, 28).rstrip(".,;:")
        return text[:1].upper() + text[1:] + "."

    def paragraph(self, low: int = 2, high: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def title(self, low: int = 4, high: int = 10) -> str:
        text = self.words_run(low, high).strip(".,;:")
        return text[:1].upper() + text[1:]

    def inline_html(self) -> str:
        """A paragraph with the inline markup CMS editors produce."""
        sentences = [self.sentence() for _ in range(self.rng.randint(2, 5))]
        i = self.rng.randrange(len(sentences))
        sentences[i] = f'<a href="https://www.example.org/{self.rng.randint(1, 9999)}">' \
                       f'{sentences[i]}</a>'
        j = self.rng.randrange(len(sentences))
        sentences[j] = f"<strong>{sentences[j]}</strong>"
        if self.rng.random() < 0.3:
            k = self.rng.randrange(len(sentences))
            sentences[k] = f'<span style="color:#333">{sentences[k]}</span>'
        if self.rng.random() < 0.3:
            sentences.append(f"<em>{self.sentence()}</em><br>")
        return " ".join(sentences)


def _image(w: _Writer, *, sized: bool = True) -> dict[str, Any]:
    rng = w.rng
    width, height = rng.choice(((1200, 675), (1600, 900), (800, 600), (1080, 1350)))
    image: dict[str, Any] = {
        "src": f"https://images.example.org/{rng.randint(1, 10**6)}/photo-{width}x{height}.jpg",
        "alt": w.title(3, 8),
    }
    if sized:
        image |= {"width": width, "height": height}
    if rng.random() < 0.7:
        image["caption"] = w.sentence()
    if rng.random() < 0.5:
        image["credit"] = f"Photo: {rng.choice(_AUTHORS)}"
    return image


def _embed(w: _Writer) -> dict[str, Any]:
    provider = w.rng.choice(("youtube", "youtube", "vimeo", "twitter", "instagram"))
    ident = w.rng.choice({"youtube": _YOUTUBE_IDS, "vimeo": _VIMEO_IDS, "twitter": _TWEET_IDS,
                          "instagram": _INSTAGRAM_IDS}[provider])
    embed: dict[str, Any] = {"type": "embed", "provider": provider, "id": ident}
    if w.rng.random() < 0.4:
        embed["caption"] = w.sentence()
    return embed


def _html_fragment(w: _Writer) -> str:
    """One chunk of CMS body HTML, with the debris a converter has to deal with."""
    rng = w.rng
    kind = rng.choice(("figure", "figure", "iframe", "table", "blockquote", "div", "font",
                       "script", "list"))
    if kind == "figure":
        image = _image(w, sized=rng.random() < 0.7)
        size = (f' width="{image["width"]}" height="{image["height"]}"'
                if "width" in image else "")
        return (f'<figure class="wp-block-image size-large"><img src="{image["src"]}" '
                f'alt="{image["alt"]}"{size} loading="lazy" '
                f'class="wp-image-{rng.randint(1, 9999)}">'
                f"<figcaption>{w.sentence()}</figcaption></figure>")
    if kind == "iframe":
        video = rng.choice(_YOUTUBE_IDS)
        return (f'<figure class="wp-block-embed is-type-video">'
                f'<div class="wp-block-embed__wrapper">'
                f'<iframe width="560" height="315" src="https://www.youtube.com/embed/{video}" '
                f'frameborder="0" allow="autoplay; encrypted-media" allowfullscreen></iframe>'
                f"</div></figure>")
    if kind == "table":
        rows = "".join(f"<tr><td>{w.title(1, 3)}</td><td>{rng.randint(1, 999)}</td>"
                       f"<td>{w.title(1, 4)}</td></tr>" for _ in range(rng.randint(3, 8)))
        return (f'<table style="width:100%" border="1"><thead><tr><th>Item</th><th>Count</th>'
                f"<th>Note</th></tr></thead><tbody>{rows}</tbody></table>")
    if kind == "blockquote":
        return (f'<blockquote class="wp-block-quote"><p>{w.paragraph(1, 2)}</p>'
                f"<cite>{rng.choice(_AUTHORS)}</cite></blockquote>")
    if kind == "div":
        return (f'<div class="separator" style="clear: both; text-align: center;">'
                f'<p style="margin:0 0 1em">{w.paragraph()}</p></div>')
    if kind == "font":
        return f'<p><font face="Arial" size="2">{w.paragraph(1, 3)}</font></p>'
    if kind == "script":
        tweet = rng.choice(_TWEET_IDS)
        return (f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">{w.sentence()}</p>'
                f'&mdash; {rng.choice(_AUTHORS)} <a href="https://twitter.com/x/status/{tweet}">'
                f"June 25, 2026</a></blockquote>"
                f'<script async src="https://platform.twitter.com/widgets.js" charset="utf-8">'
                f"</script>")
    items = "".join(f"<li>{w.sentence()}</li>" for _ in range(rng.randint(2, 6)))
    return f"<ul>{items}</ul>"


def _block(w: _Writer) -> dict[str, Any]:
    rng = w.rng
    kind = rng.choices(
        ("paragraph", "paragraph_html", "heading", "quote", "list", "image", "gallery", "embed",
         "video", "table", "code", "divider", "html"),
        weights=(40, 12, 8, 4, 4, 8, 2, 5, 1, 2, 1, 2, 6))[0]
    if kind == "paragraph":
        return {"type": "paragraph", "text": w.paragraph()}
    if kind == "paragraph_html":
        return {"type": "paragraph", "html": w.inline_html()}
    if kind == "heading":
        return {"type": "heading", "level": rng.choice((2, 2, 2, 3)), "text": w.title()}
    if kind == "quote":
        return {"type": "quote", "text": w.paragraph(1, 2), "cite": rng.choice(_AUTHORS)}
    if kind == "list":
        return {"type": "list", "ordered": rng.random() < 0.3,
                "items": [w.sentence() for _ in range(rng.randint(2, 6))]}
    if kind == "image":
        return {"type": "image", **_image(w, sized=rng.random() < 0.85)}
    if kind == "gallery":
        return {"type": "gallery", "images": [_image(w) for _ in range(rng.randint(3, 6))]}
    if kind == "embed":
        return _embed(w)
    if kind == "video":
        return {"type": "video", "src": f"https://media.example.org/{rng.randint(1, 9999)}.mp4",
                "poster": f"https://media.example.org/{rng.randint(1, 9999)}.jpg",
                "width": 1280, "height": 720, "caption": w.sentence()}
    if kind == "table":
        return {"type": "table", "caption": w.title(), "header": ["Year", "Value", "Change"],
                "rows": [[str(2015 + i), str(rng.randint(10, 999)), f"{rng.uniform(-9, 9):.1f}%"]
                         for i in range(rng.randint(3, 8))]}
    if kind == "code":
        return {"type": "code", "language": rng.choice(_LANGUAGES),
                "text": "\n".join(f"value_{i} = {rng.randint(0, 99)}" for i in range(5))}
    if kind == "divider":
        return {"type": "divider"}
    return {"type": "html", "html": _html_fragment(w)}


def _blocks_to_html(blocks: list[dict[str, Any]], w: _Writer) -> str:
    """The same body as one HTML string, the way WordPress's ``content.rendered`` looks."""
    parts = []
    for block in blocks:
        kind = block["type"]
        if kind == "paragraph":
            parts.append(f"<p>{block.get('html') or block['text']}</p>")
        elif kind == "heading":
            parts.append(f"<h{block['level']}>{block['text']}</h{block['level']}>")
        elif kind == "image":
            size = (f' width="{block["width"]}" height="{block["height"]}"'
                    if "width" in block else "")
            parts.append(f'<figure><img src="{block["src"]}" alt="{block["alt"]}"{size}>'
                         f"<figcaption>{block.get('caption', '')}</figcaption></figure>")
        elif kind == "embed" and block["provider"] == "youtube":
            parts.append(f'<iframe width="560" height="315" '
                         f'src="https://www.youtube.com/embed/{block["id"]}" frameborder="0" '
                         f"allowfullscreen></iframe>")
        elif kind == "html":
            parts.append(block["html"])
        elif kind == "list":
            tag = "ol" if block["ordered"] else "ul"
            parts.append(f"<{tag}>" + "".join(f"<li>{i}</li>" for i in block["items"]) +
                         f"</{tag}>")
        elif kind == "quote":
            parts.append(f"<blockquote><p>{block['text']}</p></blockquote>")
        elif kind == "divider":
            parts.append("<hr>")
        else:
            parts.append(_html_fragment(w))
    return "\n".join(parts)


def _article(index: int, w: _Writer) -> dict[str, Any]:
    rng = w.rng
    day = 1 + index % 28
    # A past year: an article dated after the day of the run is scheduled, not published, and
    # a rebuild or a site would leave it for its time (2026's December did so from the 1st on).
    published = f"2025-{1 + index % 12:02d}-{day:02d}"
    if rng.random() < 0.5:
        published += f"T{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:00+01:00"
    headline = w.title(6, 14)
    article: dict[str, Any] = {
        "schema_version": 1,
        "id": f"bench-{index:05d}",
        "slug": f"bench-article-{index:05d}",
        "headline": headline,
        "description": w.sentence()[:160],
        "section": rng.choice(_SECTIONS),
        "tags": sorted({w.title(1, 2) for _ in range(rng.randint(2, 6))}),
        "language": "en-GB",
        "published": published,
        "authors": [{"name": name} for name in rng.sample(_AUTHORS, rng.randint(1, 2))],
    }
    if rng.random() < 0.3:
        article["updated"] = published
    if rng.random() < 0.8:
        article["image"] = _image(w)
    blocks = [_block(w) for _ in range(rng.randint(20, 40))]
    if rng.random() < HTML_BODY_SHARE:
        article["body_html"] = _blocks_to_html(blocks, w)
    else:
        article["body"] = blocks
    return article


def generate(count: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``count`` articles (dicts of contract v1), slugs ``bench-article-00000``….

    Deterministic for a given ``(count, seed)``; article *i* is the same whatever ``count``.
    """
    return generate_range(0, count, seed)


def generate_range(start: int, stop: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Articles ``start`` … ``stop - 1`` of the seeded sequence (see :func:`generate`)."""
    return [_article(i, _Writer(random.Random(f"{seed}:{i}"))) for i in range(start, stop)]


# --- the Hugo twin ----------------------------------------------------------------------------


def _yaml(value: Any) -> str:
    """A YAML scalar/flow value: JSON is valid YAML 1.2 and Hugo's parser reads it."""
    return json.dumps(value, ensure_ascii=False)


def _shortcode_args(**args: Any) -> str:
    return " ".join(f"{name}={json.dumps(str(value), ensure_ascii=False)}"
                    for name, value in args.items() if value not in (None, ""))


def _md_image(image: dict[str, Any]) -> str:
    return ("{{< ampimg " + _shortcode_args(src=image["src"], width=image.get("width"),
                                            height=image.get("height"), alt=image["alt"],
                                            caption=image.get("caption"),
                                            credit=image.get("credit")) + " >}}")


def _md_block(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "paragraph":
        return block.get("html") or block["text"]
    if kind == "heading":
        return "#" * block["level"] + " " + block["text"]
    if kind == "quote":
        return f"> {block['text']}\n>\n> <cite>{block['cite']}</cite>"
    if kind == "list":
        return "\n".join(("1." if block["ordered"] else "-") + " " + item
                         for item in block["items"])
    if kind == "image":
        return _md_image(block)
    if kind == "gallery":
        return ("{{< gallery >}}\n" + "\n".join(_md_image(i) for i in block["images"]) +
                "\n{{< /gallery >}}")
    if kind == "embed":
        return "{{< ampembed " + _shortcode_args(provider=block["provider"], id=block["id"],
                                                 caption=block.get("caption")) + " >}}"
    if kind == "video":
        return "{{< ampvideo " + _shortcode_args(src=block["src"], poster=block["poster"],
                                                 width=block["width"], height=block["height"],
                                                 caption=block["caption"]) + " >}}"
    if kind == "table":
        lines = ["| " + " | ".join(block["header"]) + " |",
                 "|" + "---|" * len(block["header"])]
        lines += ["| " + " | ".join(row) + " |" for row in block["rows"]]
        return "\n".join(lines)
    if kind == "code":
        return "```" + (block["language"] or "") + "\n" + block["text"] + "\n```"
    if kind == "divider":
        return "***"
    return block["html"]


def to_hugo_markdown(article: dict[str, Any]) -> str:
    """The article as a Hugo content file: front matter (YAML) + Markdown body.

    Block bodies become Markdown with shortcodes (``ampimg``, ``gallery``, ``ampembed``,
    ``ampvideo``) that emit the same AMP components our theme does; ``body_html`` goes through as
    raw HTML (Goldmark ``unsafe``), since Hugo has no HTML-to-AMP conversion.
    """
    front = {
        "title": article["headline"],
        "slug": article["slug"],
        "url": f"/{article['slug']}/",
        "date": article["published"],
        "description": article.get("description"),
        "section_name": article.get("section"),
        "tags": article.get("tags", []),
        "authors": [a["name"] for a in article.get("authors", [])],
        "hero": article.get("image"),
        "language": article.get("language"),
    }
    if article.get("updated"):
        front["lastmod"] = article["updated"]
    lines = ["---"] + [f"{key}: {_yaml(value)}" for key, value in front.items()
                       if value is not None] + ["---", ""]
    if "body_html" in article:
        lines.append(article["body_html"])
    else:
        lines.extend(_md_block(block) + "\n" for block in article["body"])
    return "\n".join(lines) + "\n"
