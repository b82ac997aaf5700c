"""The conversion report: one entry per removal or rewrite, recorded through ONE function.

Every step edits the tree only through the functions below (:func:`remove_element`,
:func:`unwrap_element`, :func:`replace_element`, :func:`remove_attribute`, :func:`set_attribute`),
and each of them calls :meth:`Reporter.record`, the single reporting function. So nothing is
removed or rewritten without an entry, and an element removed with visible text carries that text
in :attr:`ReportEntry.removed_text`. The reporter belongs to one conversion (it lives on the
:class:`~amp_publisher.core.conversion.context.ConversionContext`), never in module state.

Codes mirror the AMP validator's error codes (``validator.proto`` ``ValidationError.Code``) where
one applies: ``DISALLOWED_TAG``, ``DISALLOWED_ATTR``, ``INVALID_ATTR_VALUE``,
``INVALID_URL_PROTOCOL``, ``INVALID_URL``, ``MANDATORY_ATTR_MISSING``, ``WRONG_PARENT_TAG``,
``CSS_SYNTAX_DISALLOWED_IMPORTANT``, ``CSS_SYNTAX_INVALID_URL_PROTOCOL`` and the other CSS codes of
:mod:`amp_publisher.core.amp.css`, ``STYLESHEET_TOO_LONG``; the conversions add their own:
``CONVERTED_EMBED``, ``CONVERTED_IMAGE``, ``CONVERTED_MEDIA``, ``CONVERTED_GALLERY``,
``CONVERTED_IFRAME``, ``CONVERTED_FORM``, ``MOVED_CSS``, ``UNWRAPPED_NOSCRIPT``, ``RESOLVED_URL``,
``REMOVED_COMMENT``, ``NOT_PHRASING_CONTENT``, ``REMOVED_AD_OR_TRACKER`` (embed and ad policy,
tracking pixels), ``MOBILE_FIT``, ``CLIPBOARD_WRAPPER``, ``CONVERTED_MATH``, ``MATH_AS_TEXT``,
``CONTACT_DATA``, ``IMAGE_SIZE_BUDGET``; the renderer adds ``EXTRACTED_ARTICLE`` for whole pages
given as a body.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment
    >>> reporter = Reporter()
    >>> root = parse_fragment("<p>kept <font color=red>text</font></p>")
    >>> unwrap_element(reporter, root[0][0], code="DISALLOWED_TAG", detail="font is not AMP",
    ...                rule="https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml/")
    >>> reporter.entries[0].action, reporter.entries[0].element
    ('unwrapped', 'font')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lxml import etree

from amp_publisher.core.conversion.tree import detach, removed_text, replace, tag_of, unwrap

__all__ = [
    "Action",
    "ReportEntry",
    "Reporter",
    "AMP_SPEC_URL",
    "remove_element",
    "unwrap_element",
    "replace_element",
    "remove_attribute",
    "set_attribute",
]

Action = Literal["removed", "unwrapped", "converted", "rewritten"]

AMP_SPEC_URL = "https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml/"
"""The AMP HTML specification; the ``rule`` of entries that no narrower tag spec explains."""


@dataclass(frozen=True)
class ReportEntry:
    """One change the converter made to the body.

    Attributes:
        code: validator-style code (``"DISALLOWED_TAG"``) or conversion code
            (``"CONVERTED_EMBED"``); see the module docstring for the list.
        action: ``"removed"``, ``"unwrapped"`` (tag dropped, content kept), ``"converted"``
            (replaced by an AMP equivalent) or ``"rewritten"`` (attribute value changed).
        element: tag name of the element concerned (``"iframe"``; ``"#comment"`` for comments).
        attribute: the attribute concerned, or ``None`` for whole elements.
        detail: a human sentence saying what happened and why.
        removed_text: text lost through this change ("" when none): visible text, or the
            fallback text of an iframe, ``template``, ``title``, ``noembed`` or ``noframes``.
        rule: URL of the AMP tag spec / component doc / spec section that requires it.
    """

    code: str
    action: Action
    element: str
    attribute: str | None
    detail: str
    removed_text: str
    rule: str

    def to_dict(self) -> dict[str, str | None]:
        """The entry as a JSON-ready dict (for the structured log line and the manifest)."""
        return {
            "code": self.code, "action": self.action, "element": self.element,
            "attribute": self.attribute, "detail": self.detail,
            "removed_text": self.removed_text, "rule": self.rule,
        }


class Reporter:
    """Collects the entries of one conversion, in the order the changes were made."""

    def __init__(self) -> None:
        self._entries: list[ReportEntry] = []

    def record(self, code: str, action: Action, element: str, *, detail: str, rule: str,
               attribute: str | None = None, removed_text: str = "",
               el: etree._Element | None = None) -> None:
        """Record one change: the single reporting function every edit goes through.

        ``el`` is the element changed, still in the tree (``None`` for a change of the whole
        fragment, such as a dropped stylesheet or the image-size budget); it is not stored. A
        conversion of several fragments in one tree
        (:func:`~amp_publisher.core.conversion.convert_fragments`) reads it to tell whose entry
        it is."""
        self._entries.append(ReportEntry(code, action, element, attribute, detail,
                                         removed_text, rule))

    @property
    def entries(self) -> tuple[ReportEntry, ...]:
        """The entries so far, in order."""
        return tuple(self._entries)


def remove_element(reporter: Reporter, el: etree._Element, *, code: str, detail: str,
                   rule: str) -> None:
    """Remove ``el`` with its content (its tail text stays) and report the text lost (visible
    text, or an iframe's/noembed's/template's fallback text: :func:`~.tree.removed_text`)."""
    lost = removed_text(el)
    reporter.record(code, "removed", tag_of(el), detail=detail, rule=rule, removed_text=lost,
                    el=el)
    detach(el)


def unwrap_element(reporter: Reporter, el: etree._Element, *, code: str, detail: str,
                   rule: str) -> None:
    """Replace ``el`` by its content (no text is lost) and report it."""
    reporter.record(code, "unwrapped", tag_of(el), detail=detail, rule=rule, el=el)
    unwrap(el)


def replace_element(reporter: Reporter, old: etree._Element, new: etree._Element, *, code: str,
                    detail: str, rule: str, removed_text: str = "") -> None:
    """Put ``new`` in place of ``old`` and report it as a conversion.

    ``removed_text`` is the visible text of ``old`` that ``new`` does not carry over (the caller
    knows what it moved into ``new``).
    """
    reporter.record(code, "converted", tag_of(old), detail=detail, rule=rule,
                    removed_text=removed_text, el=old)
    replace(old, new)


def remove_attribute(reporter: Reporter, el: etree._Element, name: str, *, code: str,
                     detail: str, rule: str) -> None:
    """Remove attribute ``name`` from ``el`` (no-op if absent) and report it."""
    if name not in el.attrib:
        return
    reporter.record(code, "removed", tag_of(el), attribute=name, detail=detail, rule=rule,
                    el=el)
    del el.attrib[name]


def set_attribute(reporter: Reporter, el: etree._Element, name: str, value: str, *, code: str,
                  detail: str, rule: str) -> None:
    """Set attribute ``name`` to ``value`` and report it as a rewrite (no-op if unchanged)."""
    if el.get(name) == value:
        return
    reporter.record(code, "rewritten", tag_of(el), attribute=name, detail=detail, rule=rule,
                    el=el)
    el.set(name, value)
