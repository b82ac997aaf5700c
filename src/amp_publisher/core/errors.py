"""The exception hierarchy, split by what the caller does next (DESIGN §6).

* :class:`ArticleError` and its subclasses are **permanent input faults**: retrying cannot help.
  The handler records them (one structured log line with the S3 key and JSON path, a metric, the
  manifest record) and does not raise, so Lambda does not retry and the last good page stays up.
* Anything else (botocore's throttling, 5xx, timeouts, :class:`TransientError`) is **transient**:
  it propagates, Lambda retries the event, and after the retries it lands in the failed-events
  queue for ``amp-render redrive``.

Example:
    >>> err = SchemaError("headline: Field required", path="headline", key="articles/a.json")
    >>> err.code, err.path, err.key
    ('schema_error', 'headline', 'articles/a.json')
    >>> isinstance(err, ArticleError)
    True
"""

from __future__ import annotations

__all__ = [
    "AmpPublisherError",
    "ArticleError",
    "InvalidJSONError",
    "InvalidEncodingError",
    "SchemaError",
    "ObjectTooLargeError",
    "UnsupportedShapeError",
    "ConversionError",
    "AmpValidationError",
    "SlugConflictError",
    "RenderCrashError",
    "NotPublishedError",
    "TransientError",
    "SourceBusyError",
    "LeaseLostError",
]


class AmpPublisherError(Exception):
    """Base class of every error this package raises on purpose."""


class ArticleError(AmpPublisherError):
    """A permanent fault in one source object: never retried, recorded, last good page kept.

    Args:
        message: what is wrong and, where it helps, what to do about it.
        path: the JSON path of the offending field (``"body[3].level"``), or ``None`` when the
            fault is not tied to one field (invalid JSON, oversize object).
        key: the S3 source key, filled in by the pipeline when the error passes through it.

    Attributes:
        code: a short stable identifier used as the metric dimension and in the manifest.
    """

    code = "article_error"

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.key = key

    def with_key(self, key: str) -> ArticleError:
        """Return ``self`` with :attr:`key` set (used by the pipeline); chaining helper."""
        self.key = key
        return self

    def to_dict(self) -> dict[str, str | None]:
        """The structured fields logged and stored in the manifest: code, message, path, key."""
        return {"code": self.code, "message": self.message, "path": self.path, "key": self.key}

    def __str__(self) -> str:
        return self.message


class InvalidJSONError(ArticleError):
    """The source object is not parseable JSON (message carries line/column)."""

    code = "invalid_json"


class InvalidEncodingError(ArticleError):
    """The source object is not valid UTF-8 (DESIGN §3: one UTF-8 JSON object)."""

    code = "invalid_encoding"


class SchemaError(ArticleError):
    """The JSON does not follow the article contract (DESIGN §3); ``path`` names the field."""

    code = "schema_error"


class ObjectTooLargeError(ArticleError):
    """The source object exceeds the configured size limit (default 2 MiB); refused unread."""

    code = "object_too_large"


class UnsupportedShapeError(ArticleError):
    """The JSON is an object shape no input adapter recognises (not an article, WordPress or
    Ghost post, or a collection of them)."""

    code = "unsupported_shape"


class AmbiguousShapeError(UnsupportedShapeError):
    """More than one input adapter recognises the document; the message names the candidates
    and why each matched. ``amp-render render --format NAME`` (or the item's own markers)
    decides; the function never guesses between two readings of one document."""

    code = "ambiguous_shape"


class ConversionError(ArticleError):
    """The article body cannot be converted into valid AMP markup."""

    code = "conversion_error"


class AmpValidationError(ArticleError):
    """The rendered page fails the AMP validator; nothing is published.

    Attributes:
        errors: the validator's error objects (line, column, message, spec URL).
    """

    code = "amp_validation_failed"

    def __init__(self, message: str, *, errors=(), path: str | None = None,
                 key: str | None = None) -> None:
        super().__init__(message, path=path, key=key)
        self.errors = list(errors)


class SlugConflictError(ArticleError):
    """The article's slug is already owned by another source key (DESIGN §1: one slug, one
    source). The other source's page is never overwritten."""

    code = "slug_conflict"


class RenderCrashError(ArticleError):
    """The pure core (loading, converting, rendering, validating) raised something that is not
    an :class:`ArticleError` for this article: a bug, which retrying cannot fix. Recorded like
    any permanent fault (the last good page stays) so it is visible in ``amp-render status``;
    after a fix, ``amp-render redrive`` or a re-upload renders the article again."""

    code = "render_crashed"


class NotPublishedError(AmpPublisherError):
    """The source says its post is not public (our ``status: "draft"``; WordPress ``draft``,
    ``private``, ``pending``, ``future``, ``trash`` or password-protected; Ghost ``draft``,
    ``scheduled`` or members-only). Neither permanent nor transient: a **takedown**. The
    pipeline removes the page and its edge copies and records status ``unpublished``.

    Args:
        message: why, e.g. ``"status 'draft': only published posts are rendered"``.
        path: JSON path of the field that says so (``"status"``, ``"posts[0]"``).
        key: the S3 source key.
    """

    code = "not_published"

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.key = key


class TransientError(AmpPublisherError):
    """A fault worth retrying that is not an AWS client error (e.g. a lost conditional-write
    race). Propagates so Lambda retries the event."""


class SourceBusyError(TransientError):
    """Another worker holds the lease on this source key (it is rendering it right now) and did
    not finish within the wait. Retried: the retry reads the source again, after that worker."""


class LeaseLostError(TransientError):
    """This worker's lease on a source key expired and was taken over (or the manifest record
    changed under it); its work is abandoned and the event retried."""
