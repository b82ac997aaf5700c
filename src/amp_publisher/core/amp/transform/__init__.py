"""Transformed AMP: our pages rendered server-side, as AMP caches serve them.

A page as the templates write it shows nothing until the AMP runtime (``v0.js``) has loaded
from its CDN, or for 8 seconds when it cannot (the boilerplate). :func:`transform` does before
publishing what the runtime would do on the reader's phone, in the AMP Optimizer's order:

1. ``<html transformed="self;v=1">``: the page declares itself transformed by its publisher
   (validator rules for transformed pages apply);
2. hero images rendered as ``<img>`` and preloaded (:mod:`.hero`);
3. layouts rendered and the boilerplate removed where allowed (:mod:`.ssr`);
4. the runtime CSS inlined (:mod:`.runtime`);
5. the head reordered (:mod:`.head`).

The function's pages go through it unless the setting ``AMP_TRANSFORM`` is ``off`` (the
pipeline calls it between rendering and the validation gate, which then checks the transformed
rules). Pure:
no I/O besides reading the packaged runtime CSS once.

Example:
    >>> page = transform('<!doctype html><html amp><head></head><body>'
    ...                  '<amp-img src="a.png" width="300" height="200" layout="responsive">'
    ...                  '</amp-img></body></html>')
    >>> 'i-amphtml-layout="responsive"' in page, 'transformed="self;v=1"' in page
    (True, True)
"""

from __future__ import annotations

from amp_publisher.core.amp.transform.document import parse, serialize
from amp_publisher.core.amp.transform.head import reorder_head
from amp_publisher.core.amp.transform.hero import (
    MAX_HERO_IMAGES,
    optimize_hero_images,
    preload_heroes,
)
from amp_publisher.core.amp.transform.runtime import (
    RuntimeStyles,
    inline_runtime_css,
    packaged_runtime_styles,
)
from amp_publisher.core.amp.transform.ssr import server_side_render

__all__ = ["transform", "TRANSFORMED", "RuntimeStyles", "packaged_runtime_styles"]

#: The ``transformed`` value of our pages: transformed by their own publisher, version 1.
TRANSFORMED = "self;v=1"


def transform(html: str, *, runtime_styles: RuntimeStyles | None = None,
              max_hero_images: int = MAX_HERO_IMAGES) -> str:
    """The transformed version of a valid AMP page.

    Args:
        html: a whole AMP page (``<html ⚡>`` or ``<html amp>``).
        runtime_styles: the runtime CSS to inline; default the copy in the package
            (:func:`packaged_runtime_styles`).
        max_hero_images: at most this many hero images are rendered and preloaded.
    Returns:
        The transformed page. A page already transformed (``<html i-amphtml-layout>``) is
        written back unchanged in meaning.
    """
    doc = parse(html)
    if doc.html.get("i-amphtml-layout") is not None:
        return serialize(doc)
    doc.html.set("transformed", TRANSFORMED)
    heroes = optimize_hero_images(doc, max_hero_images)
    preload_heroes(doc, heroes)
    # The theme sizes its hero with ``sizes`` (no srcset), which the runtime applies as the
    # element's width: keep that width when the runtime's work is done here.
    server_side_render(doc, sizes_without_srcset=True)
    inline_runtime_css(doc, runtime_styles or packaged_runtime_styles())
    reorder_head(doc)
    return serialize(doc)
