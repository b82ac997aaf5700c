"""The fast token stream: the tokens :func:`~amp_publisher.core.amp.validator.tree._tokens`
gives (the doctype, start tags with every attribute, end tags, text), read by a scan of compiled
regular expressions instead of html5lib's pure-Python tokenizer, without positions.

Why a scan of our own and not a parser: the engine reads the token stream as it stands in the
source (as the official validator's parser does), not a tree. An HTML5 tree builder repairs what
the rules must see (implied ``tbody``, misnested formatting tags cloned, table content moved, a
second ``<html>`` merged, duplicate attributes and end-tag attributes dropped), so a compiled
parser's tree (html5-parser, which this module used before) could only be trusted after a scan of
the source had checked, tag by tag, that the tree repaired nothing: the scan plus the parse plus
the walk of the tree cost about 1.1 ms of a reference page's 2 ms budget. The scan alone gives
the tokens, at a third of that.

It is not a general HTML tokenizer: it reads exactly the HTML our pages are made of and raises
:class:`Unsure` on anything else, and the caller then validates on html5lib's conformant
tokenizer. What it reads, each as the HTML standard's tokenizer (section 13.2.5) reads it:

* the document starts with ``<!doctype html>`` (any ASCII case, after whitespace);
* start tags: a name (ASCII lower-cased), attributes whose names hold none of ``"'<=`` and
  whose values are double-quoted, single-quoted, or unquoted without ``"'<=`` and backtick
  (the cases the standard calls parse errors are refused), and a ``/`` before ``>``;
* end tags without attributes;
* comments ``<!-- ... -->`` that do not open with ``>`` or ``->`` and hold no ``--!>``;
* after a start tag of ``style``, ``xmp``, ``iframe``, ``noembed`` or ``noframes`` the raw
  text up to its end tag, after ``title`` or ``textarea`` the same with character references,
  after ``script`` the same without them, refused when it holds ``<!--`` (the script data
  escape states), as the positioned path switches html5lib's tokenizer;
* character references that end with ``;`` and that every HTML5 tokenizer decodes alike: named
  ones of the standard's table, and numeric ones of ordinary characters; a ``&`` before
  whitespace, ``<``, ``&`` or the end is text;
* newlines normalised (``CR LF`` and ``CR`` to ``LF``), as the standard's input stream does.

Anything else (``<!`` or ``<?`` other than a comment, ``</`` not followed by a letter, a tag the
scan cannot close, NUL, ``<plaintext>``, other character references) raises :class:`Unsure`.
``tests/test_validator_fast.py`` checks that both paths give the same verdict on the official
test pairs, the corpus, and documents generated around those edges.
"""

from __future__ import annotations

import re
from functools import cache
from html import unescape
from html.entities import html5 as _NAMED_REFERENCES

from amp_publisher.core.amp.validator.tree import _RAWTEXT, _RCDATA, HTML_WHITESPACE

__all__ = ["Unsure", "compiled_tokens"]


class Unsure(Exception):
    """The scan does not read this document as an HTML5 tokenizer would: use the slow path."""


_WS = "[\t\n\f\r ]"
#: The next place the tokenizer's data state leaves text: ``<`` then a letter, ``/``, ``!``
#: or ``?`` (``<`` before anything else is text).
_MARKUP = re.compile(r"<[A-Za-z/!?]")
#: A start tag: its name (HTML "tag name state": up to whitespace, ``/`` or ``>``), then its
#: attribute text, quoted values read whole, to the ``>``.
_START_TAG = re.compile(
    r"<([A-Za-z][^\t\n\f\r />\x00]*+)((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
#: An end tag, read the same way (the tokenizer reads attributes on end tags, then drops them).
_END_TAG = re.compile(
    r"</([A-Za-z][^\t\n\f\r />\x00]*+)((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
# Possessive quantifiers (Python 3.11): no backtracking, so a tag's scan is linear in its length
# whatever it holds (a name run split every way between repetitions would be exponential).
_NAME = "[^\t\n\f\r />\"'<=]++"
_UNQUOTED = "[^\t\n\f\r >\"'<=`]++"
#: One attribute: name, then optionally ``=`` and a double-quoted, single-quoted or unquoted
#: value (groups: name, double, single, unquoted).
_ATTR = re.compile(
    rf"({_NAME})(?:{_WS}*+={_WS}*+(?:\"([^\"]*+)\"|'([^']*+)'|({_UNQUOTED})))?+")
#: A start tag's attribute text made only of such attributes, separated by whitespace or ``/``
#: (the tokenizer skips a ``/`` that is not right before ``>``).
_ATTRS = re.compile(
    rf"(?:[\t\n\f\r /]*+{_NAME}(?:{_WS}*+={_WS}*+(?:\"[^\"]*+\"|'[^']*+'|{_UNQUOTED}))?+)*+"
    r"[\t\n\f\r /]*+")
# re.ASCII: HTML compares these names in ASCII case only, where Python's case-insensitive
# matching would also take U+0131, U+0130, U+017F and U+212A for i, s and k.
_DOCTYPE = re.compile(r"[\t\n\f\r ]*<!doctype html>", re.IGNORECASE | re.ASCII)
#: A ``&`` and what follows it: a named or numeric reference ending with ``;``, or a ``&`` that
#: starts no reference (before whitespace, ``<``, ``&`` or the end of the text).
_REFERENCE = re.compile(
    r"&(?:([A-Za-z][A-Za-z0-9]*;)|#([0-9]{1,7});|#[xX]([0-9A-Fa-f]{1,6});|(?=[\t\n\f\r <&]|$))")
_NEWLINES = re.compile(r"\r\n?")
#: Start tags after which the positioned tokenizer reads text up to the matching end tag.
_TEXT_CONTENT = _RAWTEXT | _RCDATA | {"script"}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NO_POS = (1, 0)


def _ordinary(code: int) -> bool:
    """Whether a numeric character reference to ``code`` decodes to that character in every
    HTML5 tokenizer: not NUL, a C0/C1 control (which the standard maps or keeps with a parse
    error, where tokenizers differ), a surrogate, a noncharacter, or beyond U+10FFFF."""
    return (code in (0x09, 0x0A, 0x0C) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFDCF or (0xFDF0 <= code <= 0x10FFFF
                                             and code & 0xFFFE != 0xFFFE))


def _decoded(text: str) -> str:
    """``text`` with its character references decoded (HTML "character reference state"),
    or :class:`Unsure` when one of them is not of the forms every tokenizer reads alike."""
    if "&" not in text:
        return text
    found = 0
    for ref in _REFERENCE.finditer(text):
        found += 1
        name, decimal, hexadecimal = ref.groups()
        if name is not None:
            if name not in _NAMED_REFERENCES:
                raise Unsure(f"character reference &{name}")
        elif decimal is not None or hexadecimal is not None:
            code = int(decimal) if decimal is not None else int(hexadecimal, 16)
            if not _ordinary(code):
                raise Unsure(f"numeric character reference to U+{code:04X}")
    if found != text.count("&"):
        raise Unsure("a character reference without its ';'")
    return unescape(text)


def _lower(name: str) -> str:
    """ASCII lower case, as HTML lower-cases tag names (``str.lower`` on ASCII names, which is
    far cheaper than ``translate``)."""
    return name.lower() if name.isascii() else name.translate(_ASCII_LOWER)


@cache
def _text_end(name: str) -> re.Pattern[str]:
    """Where the raw text after a ``name`` start tag ends: its "appropriate end tag", the name
    matched in ASCII case only (``</tıtle>``, with a dotless i, does not end a title)."""
    return re.compile(rf"</{re.escape(name)}[\t\n\f\r />]", re.IGNORECASE | re.ASCII)


def _start_tag(name: str, blob: str) -> dict:
    """The start tag token of a tag named ``name`` with attribute text ``blob``."""
    raw_attrs: list[tuple[str, str]] = []
    self_closing = False
    if blob:
        if _ATTRS.fullmatch(blob) is None:
            raise Unsure(f"attributes of <{name}> the scan does not read")
        last = None
        for last in _ATTR.finditer(blob):
            attr, double, single, unquoted = last.groups()
            value = double if double is not None else single if single is not None else (
                unquoted or "")
            raw_attrs.append((attr, _decoded(value) if "&" in value else value))
        # "/" right before ">" makes the tag self-closing (HTML "self-closing start tag
        # state"), unless it ends an unquoted value.
        self_closing = blob.endswith("/") and not (
            last is not None and last.group(4) is not None and last.end() == len(blob))
    return {"type": 3, "name": name, "data": raw_attrs, "raw_attrs": raw_attrs,
            "selfClosing": self_closing, "start": _NO_POS, "end": _NO_POS}


def compiled_tokens(html: str) -> list[dict]:
    """The document's tokens in the format of the positioned tokenizer (html5lib token dicts:
    ``type`` 0 doctype, 1 text, 3 start tag with ``raw_attrs`` and ``selfClosing``, 4 end tag;
    comments left out, as the engine skips them); every position is ``(1, 0)``.

    Args:
        html: the whole document (a byte order mark already removed).
    Returns:
        The token list, equal to the positioned tokenizer's up to positions, comments and the
        splitting of text.
    Raises:
        Unsure: where the document leaves what the scan reads (see the module docstring).
    """
    if "\x00" in html:
        raise Unsure("NUL")
    if "\r" in html:
        html = _NEWLINES.sub("\n", html)
    doctype = _DOCTYPE.match(html)
    if doctype is None:
        raise Unsure("no <!doctype html> first")
    tokens: list[dict] = [{"type": 0, "name": "html", "start": _NO_POS, "end": _NO_POS}]
    append = tokens.append
    find_markup = _MARKUP.search
    pos = doctype.end()
    while True:
        markup = find_markup(html, pos)
        at = markup.start() if markup is not None else len(html)
        if at > pos:
            append({"type": 1, "data": _decoded(html[pos:at])})
        if markup is None:
            return tokens
        kind = html[at + 1]
        if kind == "!":
            if not html.startswith("<!--", at):
                raise Unsure("a bogus comment, doctype or CDATA section")
            end = html.find("-->", at + 4)
            if (end < 0 or html.startswith((">", "->"), at + 4)
                    or "--!>" in html[at + 4:end]):
                raise Unsure("a comment the scan does not close as a tokenizer does")
            pos = end + 3
            continue
        if kind == "?":
            raise Unsure("a processing instruction (a bogus comment)")
        if kind == "/":
            tag = _END_TAG.match(html, at)
            if tag is None:
                raise Unsure("an end tag the scan cannot close")
            if tag.group(2).strip(HTML_WHITESPACE):
                raise Unsure("attributes on an end tag")
            append({"type": 4, "name": _lower(tag.group(1)), "start": _NO_POS,
                    "end": _NO_POS})
            pos = tag.end()
            continue
        tag = _START_TAG.match(html, at)
        if tag is None:
            raise Unsure("a start tag the scan cannot close")
        name = _lower(tag.group(1))
        append(_start_tag(name, tag.group(2)))
        pos = tag.end()
        if name == "plaintext":
            raise Unsure("<plaintext>")
        if name in _TEXT_CONTENT:
            close = _text_end(name).search(html, pos)
            if close is None:
                raise Unsure(f"<{name}> without its end tag")
            text = html[pos:close.start()]
            if name == "script" and "<!--" in text:
                raise Unsure("<!-- in a script (the script data escape states)")
            if text:
                append({"type": 1, "data": _decoded(text) if name in _RCDATA else text})
            pos = close.start()
