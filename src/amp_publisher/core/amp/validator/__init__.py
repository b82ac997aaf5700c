"""The AMP validator for ``html_format: AMP``, driven by the packaged official rules.

``validate(html)`` walks the document once, in source order, the way the official validator
engine does: each start tag is matched against the tag specs for its name (first through
*dispatch keys*, e.g. ``<meta name=viewport>``; otherwise against every spec of the tag, keeping
the best attempt), then the chosen spec's document-level constraints are recorded
(mandatory / unique tags, ``requires``/``satisfies``/``excludes`` conditions, extension scripts
loaded and used, CSS bytes) and checked at the end of the document.

The engine's parts, named as in the official validator engine:

* :mod:`~amp_publisher.core.amp.validator.tree` - the document tree and positions;
* :mod:`~amp_publisher.core.amp.validator.compiled` - the fast token stream (a compiled scan, no
  positions);
* :mod:`~amp_publisher.core.amp.validator.dispatch` - tag-spec dispatch;
* :mod:`~amp_publisher.core.amp.validator.attributes` - attribute checks;
* :mod:`~amp_publisher.core.amp.validator.document` - document-level checks;
* :mod:`~amp_publisher.core.amp.validator.result` - the result and its errors.

Each error has the official validator's code and message wording (``error_formats`` in the
rules), a 1-based line, a 0-based column (the tag's ``<``) and the rule's spec URL.

Example:
    >>> result = validate("<!doctype html><html><head></head><body></body></html>")
    >>> result.status, result.errors[0].code
    ('FAIL', 'MANDATORY_ATTR_MISSING')
"""

from __future__ import annotations

from collections import Counter

from amp_publisher.core.amp import rules as _rules
from amp_publisher.core.amp.validator.attributes import AttributeChecks
from amp_publisher.core.amp.validator.compiled import Unsure, compiled_tokens
from amp_publisher.core.amp.validator.dispatch import TagSpecDispatch
from amp_publisher.core.amp.validator.document import DocumentChecks, document_type_identifiers
from amp_publisher.core.amp.validator.result import ValidationError, ValidationResult
from amp_publisher.core.amp.validator.tree import DocumentTree, _Element

__all__ = [
    "ValidationError", "ValidationResult", "validate", "fast_verdict", "document_type_identifiers"
]


class _Reported(Exception):
    """Raised by :meth:`_Validator.report` on the fast path: there is something to report."""


class _Validator(DocumentTree, TagSpecDispatch, AttributeChecks, DocumentChecks):
    """One validation run over one document: the state its parts share (the open elements,
    what was seen and required, CSS bytes) and the error list."""

    def __init__(self, html: str, *, stop_at_first_report: bool = False) -> None:
        self.html = html
        #: The fast path: the first error or warning ends the walk (the positioned walk that
        #: follows reports them all).
        self.stop_at_first_report = stop_at_first_report
        self.type_identifiers = document_type_identifiers(html)
        self.rules = _rules.load(self.type_identifiers)
        self.errors: list[ValidationError] = []
        self.stack: list[_Element] = []
        # Incremental views of the stack, so that each tag's ancestor checks cost O(1) however
        # deep the document nests (a walk of the stack per tag is quadratic):
        #: tag name -> positions in ``stack`` of the open elements with that name (ascending).
        self.open_at: dict[str, list[int]] = {}
        #: ``descendant_tag_list`` names of the open elements' tag specs, with multiplicity.
        self.open_descendant_lists: Counter[str] = Counter()
        #: ``mark_descendants`` markers of the open elements' tag specs, with multiplicity.
        self.open_marks: Counter[str] = Counter()
        self.seen_specs: dict[str, tuple[int, int]] = {}
        self.conditions: dict[str, tuple[int, int]] = {}
        self.requires: list[tuple[str, _rules.TagSpec, tuple[int, int]]] = []
        self.excludes: list[tuple[str, _rules.TagSpec, tuple[int, int]]] = []
        self.extensions_loaded: dict[str, tuple[_rules.TagSpec, tuple[int, int]]] = {}
        self.extensions_used: set[str] = set()
        self.extension_needs: list[tuple[str, str, tuple[int, int], str, str | None]] = []
        self.head_seen = False
        self.body_seen = False
        self.head_closed = False
        self.manufactured_body_reported = False
        self.css_bytes = 0
        self.inline_style_bytes = 0
        self.amp_custom_pos: tuple[int, int] | None = None
        self.end_pos = (1, 0)

    # -- reporting ----------------------------------------------------------------------------

    def report(
        self,
        code: str,
        params: list[str],
        pos: tuple[int, int],
        spec_url: str | None = None,
        severity: str = "ERROR",
    ) -> None:
        if self.stop_at_first_report:
            raise _Reported
        message = _rules.error_message(code, params)
        self.errors.append(ValidationError(pos[0], pos[1], code, message, spec_url, severity))


def validate(html: str) -> ValidationResult:
    """Validate one document as AMP (``html_format: AMP``) against the packaged rules.

    Fast verdict, slow diagnosis: the document is first checked on the tokens of a scan of
    compiled regular expressions (:func:`fast_verdict`); only when that finds anything to report
    (or the scan declines the document) is it validated again on html5lib's positioned tokens,
    which give each error its line and column. Both walks run the same engine, so they agree
    (``tests/test_validator_fast.py`` checks it on the official test pairs, the corpus and
    generated documents).

    Args:
        html: the whole document as text (decoded from UTF-8).
    Returns:
        A :class:`ValidationResult`; ``status`` is ``"FAIL"`` when any ERROR was found.
        Warnings (unused exempted extensions, deprecations, media-query issues) do not fail.
    Raises:
        Nothing for bad input: every problem is a :class:`ValidationError` in the result.
    """
    if html.startswith("\ufeff"):
        # A byte order mark is not content: browsers and the official validator drop it.
        html = html[1:]
    fast = fast_verdict(html)
    if fast is not None:
        return fast
    return _Validator(html).run()


def fast_verdict(html: str) -> ValidationResult | None:
    """The verdict from the compiled scan's tokens, when it is a clean PASS.

    Args:
        html: the whole document (without a byte order mark).
    Returns:
        ``ValidationResult("PASS", ())`` when the engine, walking the tokens
        :func:`~amp_publisher.core.amp.validator.compiled.compiled_tokens` read, found
        nothing to report (no error, no warning); None when it found something (the report
        needs positions) or when the scan does not read the document as a tokenizer would
        (:class:`~amp_publisher.core.amp.validator.compiled.Unsure`).
    Raises:
        Nothing: a scan failure on hostile input (a regular expression's MemoryError) also
        gives None.
    """
    try:
        tokens = compiled_tokens(html)
    except Unsure:
        return None
    except (ValueError, MemoryError, RecursionError):
        return None
    try:
        result = _Validator(html, stop_at_first_report=True).run(tokens)
    except _Reported:
        return None
    return result  # nothing was reported: PASS, no errors
