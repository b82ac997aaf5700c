"""Class names AMP reserves for its runtime: one check for the converter and the validator.

The AMP runtime styles and finds elements by classes starting with ``i-amphtml-``. An author
page may not carry them: the official engine refuses a ``class`` attribute holding one in a
document that is not ``transformed`` (the comment at the global ``class`` attribute in
validator-main.protoascii; official test pair
``extensions/amp-story/1.0/test/validator-amp-story-amp-social-share``), with "The attribute
'class' in tag '%2' is set to the invalid value '%3'." (``INVALID_ATTR_VALUE``). Transformed
pages (AMP cache, optimizer) carry them legitimately.

Spec: https://amp.dev/documentation/guides-and-tutorials/develop/style_and_layout/style_pages/#disallowed-styles

>>> has_internal_class("a i-amphtml-layout"), has_internal_class("my-i-amphtml-x")
(True, False)
>>> without_internal_classes("i-amphtml-built  note i-amphtml-layout")
'note'
"""

from __future__ import annotations

import re

__all__ = ["INTERNAL_CLASS_PREFIX", "SPEC_URL", "has_internal_class", "without_internal_classes"]

INTERNAL_CLASS_PREFIX = "i-amphtml-"
SPEC_URL = ("https://amp.dev/documentation/guides-and-tutorials/develop/style_and_layout/"
            "style_pages/#disallowed-styles")
_INTERNAL = re.compile(r"(?:^|[\t\n\f\r ])i-amphtml-")


def has_internal_class(value: str) -> bool:
    """True when a ``class`` value holds a class starting with ``i-amphtml-``."""
    return _INTERNAL.search(value) is not None


def without_internal_classes(value: str) -> str:
    """The ``class`` value with every ``i-amphtml-`` class removed (space-joined)."""
    return " ".join(c for c in value.split() if not c.startswith(INTERNAL_CLASS_PREFIX))
