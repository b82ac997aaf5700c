"""Whole pages given as a body: find the article before conversion (issue 14 item 5).

Editors paste whole pages into a body field, and exports carry them: a complete document
(doctype, ``<html>``, ``<head>``) or a fragment with the page's chrome (navigation, a site
header and footer, a search form). Converted as they are, the page's navigation, search form and
ad slots are published with the article. :func:`extract_article` detects such a body
(:func:`is_whole_page`) and keeps only the article, found by the shared extraction module
(:func:`amp_publisher.core.extraction.extract_page`, trafilatura); the text left out is reported
in one ``EXTRACTED_ARTICLE`` entry (its ``removed_text``). When no article can be found the body
is converted whole, and that is reported too. The site setting ``extract_whole_pages``
(:class:`~amp_publisher.core.site.SiteConfig`) turns extraction off.

Example:
    >>> page = ("<!doctype html><html><head><title>T</title></head><body><nav><a href=/>Home</a>"
    ...         "<a href=/news>News</a></nav><article><h1>T</h1>" + "<p>Real words of the "
    ...         "article, long enough to be found by the extractor.</p>" * 8 + "</article>"
    ...         "<footer>© Site</footer></body></html>")
    >>> html, entries = extract_article(page)
    >>> "Home" in html, "Real words" in html, entries[0].code, "Home" in entries[0].removed_text
    (False, True, 'EXTRACTED_ARTICLE', True)
"""

from __future__ import annotations

import re

from amp_publisher.core.conversion.report import ReportEntry

__all__ = ["CHROME_MARKERS", "EXTRACTION_MAX_BYTES", "is_whole_page", "extract_article"]

CHROME_MARKERS = {
    "navigation": re.compile(r"<nav\b|role\s*=\s*[\"']?navigation", re.IGNORECASE),
    "site header": re.compile(r"<header\b|role\s*=\s*[\"']?banner", re.IGNORECASE),
    "site footer": re.compile(r"<footer\b|role\s*=\s*[\"']?contentinfo", re.IGNORECASE),
    "search form": re.compile(r"type\s*=\s*[\"']?search|role\s*=\s*[\"']?search", re.IGNORECASE),
}
"""Page chrome a body fragment may carry; two different kinds make it a whole page (one
``<header>`` or ``<footer>`` alone is common inside articles and quotes)."""

_RULE = "https://trafilatura.readthedocs.io/en/latest/corefunctions.html#extract"

EXTRACTION_MAX_BYTES = 800_000
"""Largest whole page (UTF-8 bytes) the article is extracted from. Extraction costs about 1.8 s
of CPU per MB; past this the body is converted whole (reported), where the element budget of the
parser bounds it, so no article costs more than the 3 s CPU budget (``make bench``)."""


def is_whole_page(html: str) -> str | None:
    """Why ``html`` is a whole page rather than an article body (``"a complete HTML document"``,
    ``"page chrome: navigation, search form"``), or ``None``."""
    from amp_publisher.core.extraction import is_whole_document

    if is_whole_document(html):
        return "a complete HTML document"
    found = [name for name, pattern in CHROME_MARKERS.items() if pattern.search(html)]
    return f"page chrome: {', '.join(found)}" if len(found) >= 2 else None


def _words(html: str) -> list[str]:
    """Visible words of an HTML document or fragment (script, style and head left out)."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except Exception:  # empty or unparsable: no words
        return []
    for el in root.xpath("//script|//style|//head|//noscript|//template"):
        el.drop_tree()
    return root.text_content().split()


DIFF_MAX_WORDS = 20_000
"""Pages up to this many words get an exact word diff (a longest common subsequence, the measure
of ``diff``); larger ones a linear in-order match, since the diff's time and memory grow with the
product of the two lengths (about 85 ms and 40 MB at 20,000 words, seconds and a gigabyte at
100,000)."""


def _left_out(page_words: list[str], kept_words: list[str]) -> list[list[str]]:
    """The runs of ``page_words`` that are not in ``kept_words``, in page order: a word diff up
    to :data:`DIFF_MAX_WORDS`, else a greedy in-order match (the extractor keeps the article's
    words in page order, so each page word is either the next kept word or left out).

    The diff is rapidfuzz's longest common subsequence (compiled, bit-parallel: about 3 ms for a
    4,000-word page where :mod:`difflib` took 43 ms): its deletions are the page words left out.
    A run is a stretch of consecutive page words left out (words the extractor's text has and
    the page's does not, such as a split at a tag, do not break one)."""
    if max(len(page_words), len(kept_words)) <= DIFF_MAX_WORDS:
        from rapidfuzz.distance import LCSseq

        left = [op.src_pos for op in LCSseq.editops(page_words, kept_words)
                if op.tag == "delete"]
    else:
        left, j = [], 0
        for i, word in enumerate(page_words):
            if j < len(kept_words) and word == kept_words[j]:
                j += 1
            else:
                left.append(i)
    runs: list[list[str]] = []
    last = -2
    for i in left:
        if i != last + 1:
            runs.append([])
        runs[-1].append(page_words[i])
        last = i
    return runs


def extract_article(html: str, *, key: str | None = None,
                    url: str | None = None) -> tuple[str, tuple[ReportEntry, ...]]:
    """The article of ``html`` when it is a whole page, else ``html`` unchanged.

    Args:
        html: the body as the CMS gave it.
        key: the source's S3 key or file name (named in errors and the report).
        url: the article's original URL, if known (resolves the page's relative links).

    Returns:
        ``(html, entries)``: the body to convert and ``EXTRACTED_ARTICLE`` report entries: the
        first says what was done, and each carries one run of page text left out as its
        ``removed_text``; ``(html, ())`` when the body is no whole page.

    Raises:
        Nothing: when the extractor finds no article, the body is returned whole with an entry
        that says so.
    """
    why = is_whole_page(html)
    if why is None:
        return html, ()
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.extraction import extract_page, is_whole_document

    size = len(html.encode("utf-8", "surrogatepass"))
    if size > EXTRACTION_MAX_BYTES:
        return html, (ReportEntry(
            "EXTRACTED_ARTICLE", "rewritten", "#page", None,
            f"the body is a whole page ({why}) of {size:,} bytes, more than the "
            f"{EXTRACTION_MAX_BYTES:,} an article is extracted from: converted whole", "",
            _RULE),)
    document = html if is_whole_document(html) else f"<html><body>{html}</body></html>"
    try:
        extracted = extract_page(document, url=url, key=key, metadata_fallbacks=False)
    except ArticleError:
        return html, (ReportEntry(
            "EXTRACTED_ARTICLE", "rewritten", "#page", None,
            f"the body is a whole page ({why}) but no article was found in it: converted whole",
            "", _RULE),)
    runs = _left_out(_words(document), _words(extracted.body_html))
    total = sum(len(run) for run in runs)
    entries = [ReportEntry(
        "EXTRACTED_ARTICLE", "removed", "#page", None,
        f"the body is a whole page ({why}): its article was extracted and {total} word(s) of "
        f"page chrome (navigation, forms, ads, footers) left out, in {len(runs)} part(s)",
        " ".join(runs[0]) if runs else "", _RULE)]
    entries.extend(ReportEntry("EXTRACTED_ARTICLE", "removed", "#page", None,
                               f"page text outside the article left out ({len(run)} word(s))",
                               " ".join(run), _RULE) for run in runs[1:])
    return extracted.body_html, tuple(entries)
