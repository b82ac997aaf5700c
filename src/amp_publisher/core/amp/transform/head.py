"""Head reordering: what the browser needs first comes first.

The order of the AMP Optimizer's ``ReorderHeadTransformer`` (whose spec tests
``tests/test_transform_conformance.py`` runs), after the AMP project's guidance on optimising
the head (amp.dev, "Optimize your hosted AMP pages"):

1. ``<meta charset>``, then ``<meta name=viewport>``;
2. resource hints (``<link rel=preload|prefetch|dns-prefetch|preconnect|modulepreload>``), so
   a hero image preload starts before anything else;
3. the other ``<meta>`` tags;
4. amp-story's viewport-height polyfill (``<script amp-story-dvh-polyfill>``);
5. the runtime stylesheet (``<link rel=stylesheet href=…/v0.css>``), ``<style amp-runtime>``,
   amp-story's stylesheet;
6. the runtime script(s), then the render-delaying extensions, then the other extensions and
   templates, each group by name, the module build before the ``nomodule`` one; a repeated
   extension is kept once;
7. ``<style amp-boilerplate>`` and its ``<noscript>``;
8. icon links, other stylesheet links, then everything else (``<title>``, ``<link
   rel=canonical>``, JSON-LD, ``<style amp-custom>``…) in their order.

The head's elements are written one a line (whitespace in the head renders nothing).
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.amp.transform.document import Document
from amp_publisher.core.amp.transform.ssr import RENDER_DELAYING_EXTENSIONS

__all__ = ["reorder_head"]

_HINTS = frozenset({"preload", "prefetch", "dns-prefetch", "preconnect", "modulepreload"})
_ICONS = frozenset({"icon", "shortcut icon", "icon shortcut"})


def reorder_head(doc: Document) -> None:
    """Reorder the children of the page's ``<head>`` (order in the module docstring).

    Args:
        doc: the parsed page, edited in place.
    """
    head = doc.head
    charset = viewport = dvh = runtime_link = runtime_style = story_link = None
    boilerplate = noscript = None
    hints: list[etree._Element] = []
    metas: list[etree._Element] = []
    engines: dict[int, etree._Element] = {}
    delaying: dict[str, dict[int, etree._Element]] = {}
    others_ext: dict[str, dict[int, etree._Element]] = {}
    icons: list[etree._Element] = []
    stylesheets: list[etree._Element] = []
    rest: list[etree._Element] = []
    for el in list(head):
        el.tail = None
        tag = el.tag
        if tag == "meta":
            if el.get("charset") is not None:
                charset = el
            elif (el.get("name") or "").lower() == "viewport":
                viewport = el
            else:
                metas.append(el)
        elif tag == "script":
            module = 1 if el.get("nomodule") is not None else 0
            name = el.get("custom-element") or el.get("custom-template")
            if el.get("src") is not None and not name:
                engines[module] = el
            elif el.get("custom-element") is not None:
                group = delaying if name in RENDER_DELAYING_EXTENSIONS else others_ext
                group.setdefault(name, {})[module] = el
            elif el.get("custom-template") is not None:
                others_ext.setdefault(name, {})[module] = el
            elif el.get("amp-story-dvh-polyfill") is not None:
                dvh = el
            else:
                rest.append(el)
        elif tag == "style":
            if el.get("amp-runtime") is not None:
                runtime_style = el
            elif el.get("amp-boilerplate") is not None or el.get("amp4ads-boilerplate") is not None:
                boilerplate = el
            else:
                rest.append(el)
        elif tag == "link":
            rel = el.get("rel") or ""
            href = el.get("href") or ""
            if rel == "stylesheet" and href.endswith("/v0.css"):
                runtime_link = el
            elif rel == "stylesheet" and href.endswith("/amp-story-1.0.css"):
                story_link = el
            elif rel == "stylesheet":
                stylesheets.append(el)
            elif rel in _ICONS:
                icons.append(el)
            elif rel in _HINTS:
                hints.append(el)
            else:
                rest.append(el)
        elif tag == "noscript":
            noscript = el
        elif isinstance(tag, str):
            rest.append(el)
        else:  # comments: kept, with the other content
            rest.append(el)
        head.remove(el)
    head.text = "\n"
    ordered = [charset, viewport, *hints, *metas, dvh, runtime_link, runtime_style, story_link,
               *(engines[k] for k in sorted(engines)),
               *_by_name(delaying), *_by_name(others_ext), boilerplate, noscript, *icons,
               *stylesheets, *rest]
    for el in ordered:
        if el is not None:
            el.tail = "\n"
            head.append(el)


def _by_name(group: dict[str, dict[int, etree._Element]]) -> list[etree._Element]:
    return [scripts[k] for name in sorted(group) for scripts in (group[name],)
            for k in sorted(scripts)]
