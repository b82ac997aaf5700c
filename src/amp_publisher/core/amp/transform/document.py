"""The whole-page tree the transformation steps share: parse, find, create, serialize.

A page is parsed once with html5-parser (the WHATWG algorithm, as a browser and the AMP
validator read it) into an lxml tree with plain tag names; every step edits that tree, and
:func:`serialize` writes it back with the converter's serializer
(:func:`amp_publisher.core.conversion.tree.serialize_document`).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

__all__ = ["Document", "parse", "serialize", "is_template", "walk", "new_element"]


class Document:
    """A parsed page: its ``<html>``, ``<head>`` and ``<body>`` elements.

    Attributes:
        html, head, body: the three elements (the parser always creates them).
        doctype: the doctype line written back (``<!doctype html>``: an AMP page has one).
    """

    def __init__(self, root: etree._Element, doctype: str) -> None:
        self.html = root
        self.head = root.find("head")
        self.body = root.find("body")
        self.doctype = doctype
        self._ids: set[str] | None = None
        self._next_id = 0

    def element_id(self, el: etree._Element) -> str:
        """The element's ``id``; an element without one gets ``i-amp-N``, the first N not
        used by any element of the page (the AMP Optimizer's naming)."""
        current = el.get("id")
        if current:
            return current
        if self._ids is None:
            self._ids = {e.get("id") for e in self.html.iter() if isinstance(e.tag, str)
                         and e.get("id")}
        while f"i-amp-{self._next_id}" in self._ids:
            self._next_id += 1
        new = f"i-amp-{self._next_id}"
        self._ids.add(new)
        el.set("id", new)
        return new

    def meta_viewport(self) -> etree._Element | None:
        """The ``<meta name=viewport>`` of the head, if any."""
        for el in self.head:
            if el.tag == "meta" and (el.get("name") or "").lower() == "viewport":
                return el
        return None


def parse(html: str) -> Document:
    """Parse a whole page (:func:`amp_publisher.core.conversion.tree.parse_document`).

    Args:
        html: the page's text.
    Returns:
        The :class:`Document`.
    """
    from amp_publisher.core.conversion.tree import parse_document

    # keep_names: the ⚡ attribute of <html> stays as it is.
    doc = Document(parse_document(html, keep_names=True), "<!doctype html>")
    # Whitespace after </body> is parsed into the body: keep one newline, so that writing the
    # page and reading it back gives the same text.
    if doc.body is not None and len(doc.body) and not (doc.body[-1].tail or "").strip():
        doc.body[-1].tail = "\n"
    return doc


def serialize(doc: Document) -> str:
    """The page's text (:func:`amp_publisher.core.conversion.tree.serialize_document`)."""
    from amp_publisher.core.conversion.tree import serialize_document

    return serialize_document(doc.html, doc.doctype, bare_empty=True)


def is_template(el: etree._Element) -> bool:
    """``<template>`` and ``<script template>``: content the runtime renders later, which the
    steps leave alone."""
    return el.tag == "template" or (el.tag == "script" and el.get("template") is not None)


def walk(root: etree._Element, *, skip_templates: bool = True) -> Iterator[etree._Element]:
    """The elements under ``root`` (``root`` included) in document order, as a snapshot, not
    entering templates (:func:`is_template`) when ``skip_templates``."""
    out: list[etree._Element] = []
    stack = [root]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        out.append(el)
        if skip_templates and is_template(el):
            continue
        stack.extend(reversed(el))
    return iter(out)


def new_element(tag: str, attrs: dict[str, str] | None = None) -> etree._Element:
    """A new element with its attributes in the given order."""
    el = etree.Element(tag)
    for name, value in (attrs or {}).items():
        el.set(name, value)
    return el
