"""The article contract, version 1 (DESIGN §3), as pydantic v2 models.

One UTF-8 JSON object per ``articles/<name>.json``. :func:`parse_article` turns a decoded JSON
value into an :class:`Article` or raises :class:`~amp_publisher.core.errors.SchemaError` whose
``path``
names the offending field in JSON-path form (``body[3].level``).

Example:
    >>> article = parse_article({"headline": "Hello", "published": "2026-06-25",
    ...                          "body": [{"type": "paragraph", "text": "Hi."}]})
    >>> article.published, article.body[0].text
    (datetime.date(2026, 6, 25), 'Hi.')
    >>> parse_article({"headline": "Hello", "published": "2026-06-25"})
    Traceback (most recent call last):
    ...
    SchemaError: body: exactly one of body, body_html, body_markdown is required

``amp-render schema`` prints :func:`json_schema`, the published JSON Schema of this contract.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from amp_publisher.core.errors import SchemaError

__all__ = [
    "SCHEMA_VERSION",
    "ISO_DATE_TIME",
    "instant",
    "Article",
    "Author",
    "Image",
    "Block",
    "BLOCK_TYPES",
    "EMBED_PROVIDERS",
    "parse_article",
    "json_schema",
    "unknown_field_paths",
]

#: The contract's major version. An article declaring another major version is refused, because
#: its fields may mean something this renderer does not know.
SCHEMA_VERSION = 1

#: DESIGN §3: ``[a-z0-9][a-z0-9-]{0,119}``; the slug becomes the page's URL path segment.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,119}$"

#: A pragmatic BCP 47 shape check (language, optional subtags); the value lands in ``<html lang>``.
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"

#: Providers an ``embed`` block may name (DESIGN §3), each mapped to an AMP component.
EMBED_PROVIDERS = ("youtube", "vimeo", "twitter", "instagram", "facebook", "soundcloud", "iframe")

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
#: ISO 8601 extended date-time: date, ``T`` (``t`` or a space, as RFC 3339 5.6 allows), hours
#: and minutes, optional seconds and fraction, optional ``Z`` or ±hh:mm. Anything else
#: (``20260101``, ``2026``, Unix timestamps) is refused rather than guessed at: pydantic alone
#: would read a number as seconds since 1970.
ISO_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})?$",
    re.ASCII)
_DATETIME = TypeAdapter(dt.datetime)


#: The years a date may have. 0001-01-01 and 9999-12-31 are "no date" values in many content
#: systems (Go's zero time, .NET's DateTime.MinValue and MaxValue), not publication dates; and a
#: date at either end of Python's range cannot be shown in a site's time zone (the shift leaves
#: the range). Archives of old newspapers stay well inside.
YEARS = range(1000, 9999)


def _parse_when(value: Any) -> Any:
    """ISO 8601 date or date-time. A bare date stays a :class:`datetime.date` (so the page can
    say ``<time datetime="2026-06-25">``); a date-time without a zone is taken as UTC.

    Raises ``ValueError`` for anything that is not such a string, or whose year (in UTC, for a
    date-time) is not in :data:`YEARS` (1000 to 9998)."""
    if isinstance(value, dt.datetime):  # from Python, not JSON: a naive one is UTC, as above
        parsed = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    elif isinstance(value, dt.date):
        parsed = value
    elif not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date (2026-06-25) or date-time string "
                         "(2026-06-25T09:30:00+01:00)")
    elif _DATE_ONLY.match(text := value.strip()):
        parsed = dt.date.fromisoformat(text)
    elif not ISO_DATE_TIME.match(text):
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 date (2026-06-25) or date-time "
                         "(2026-06-25T09:30:00+01:00)")
    else:
        try:
            parsed = _DATETIME.validate_python(text)
        except ValidationError:  # the shape is right, the values are not
            raise ValueError(f"{value[:40]!r} is not a date and time that exists (a leap "
                             "second, 2026-02-30, 24:00 and offsets beyond ±23:59 are refused)"
                             ) from None
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    # a date-time's year in UTC: what the sitemaps, the feeds and the listings' order write
    # (9999-12-31T23:59:59-05:00 is in year 10,000 there, beyond what datetime can hold)
    try:
        year = (parsed.astimezone(dt.UTC) if isinstance(parsed, dt.datetime) else parsed).year
    except OverflowError:
        year = None
    if year not in YEARS:
        raise ValueError(f"{str(value)[:40]!r} is not a publication date: the year must be "
                         f"{YEARS.start} to {YEARS.stop - 1} (0001-01-01 and 9999-12-31 mean "
                         "'no date' in many systems)")
    return parsed


When = Annotated[dt.date | dt.datetime, BeforeValidator(_parse_when)]


#: C0 and C1 control characters other than tab, line feed and carriage return: invisible, and a
#: parse error or worse in HTML (a NUL in a title), so they are dropped from every string.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


#: A UTF-16 surrogate code point: JSON can spell one (``\\ud800``), UTF-8 cannot encode it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_controls(value: Any) -> Any:
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value)
    if isinstance(value, list):
        return [_without_controls(item) for item in value]
    return value


class _Model(BaseModel):
    """Base: unknown fields are kept aside (``model_extra``) and reported as warnings, never
    rendered (DESIGN §3: "Unknown fields are ignored with a warning"). Control characters are
    dropped from every string field (see :data:`_CONTROL_CHARS`)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_control_characters(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: _without_controls(value) for key, value in data.items()}
        return data


#: The largest image width or height the contract takes (px): beyond it a size is a corrupt
#: header or a typo, not a picture (:data:`amp_publisher.core.image_sizes.DIMENSION_MAX`).
IMAGE_DIMENSION_MAX = 100_000


def image_dimension(value: Any) -> int | None:
    """``value`` when it is an image width or height the contract takes (an integer, not a
    boolean, from 1 to :data:`IMAGE_DIMENSION_MAX` px), else ``None``: what a source says
    beyond that is left out and the image measured, rather than failing the article.

    >>> image_dimension(1200), image_dimension(150_000), image_dimension(0), image_dimension(True)
    (1200, None, None, None)
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= IMAGE_DIMENSION_MAX:
        return value
    return None


def _well_formed_url(value: str) -> str:
    """``value`` if the AMP validator accepts it as a URL (:func:`amp_publisher.core.amp.urls.
    malformed_url`: a host without ``"``, ``<``, ``>``, spaces…, a valid port); a canonical
    URL, an author's or an embed's the validator calls "Malformed URL" would fail every page
    it is on at the publish gate, with no field named."""
    from amp_publisher.core.amp.urls import malformed_url

    if malformed_url(value):
        raise ValueError("is not a well-formed URL: its host or port is not valid")
    return value


#: An absolute http(s) URL the AMP validator accepts (author and embed URLs).
WebURL = Annotated[str, Field(pattern=r"^https?://\S+$"), AfterValidator(_well_formed_url)]


def _check_src(value: str) -> str:
    if value.startswith("https://") or (value.startswith("/") and not value.startswith("//")):
        return value
    raise ValueError("must be an https:// URL or a site-relative path starting with '/'")


class Image(_Model):
    """An image: ``{src, width?, height?, alt, caption?, credit?}``.

    ``src`` is https or site-relative (DESIGN §3); ``width``/``height`` are CSS pixels. When they
    are missing the renderer asks an image-size resolver and otherwise falls back to a documented
    aspect ratio, so the AMP page never has an ``amp-img`` without both.
    """

    src: Annotated[str, BeforeValidator(lambda v: _check_src(v) if isinstance(v, str) else v)]
    width: Annotated[int, Field(gt=0, le=IMAGE_DIMENSION_MAX)] | None = None
    height: Annotated[int, Field(gt=0, le=IMAGE_DIMENSION_MAX)] | None = None
    alt: str
    caption: str | None = None
    credit: str | None = None


class Author(_Model):
    """An author: ``{name, url?, image?}``; ``url`` becomes the JSON-LD ``author.url``."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    url: WebURL | None = None
    image: str | None = None


class _TextOrHTML(_Model):
    text: str | None = None
    html: str | None = None

    @model_validator(mode="after")
    def _one_of_text_html(self) -> _TextOrHTML:
        if (self.text is None) == (self.html is None):
            raise ValueError("exactly one of text or html is required")
        return self


class Paragraph(_TextOrHTML):
    """``paragraph {text|html}``; ``html`` allows phrasing content only."""

    type: Literal["paragraph"]


class Heading(_Model):
    """``heading {level 2–6, text}``; level 1 is the headline's alone."""

    type: Literal["heading"]
    level: Annotated[int, Field(ge=2, le=6)] = 2
    text: Annotated[str, Field(min_length=1)]


class Quote(_TextOrHTML):
    """``quote {text|html, cite?}``."""

    type: Literal["quote"]
    cite: str | None = None


class ListBlock(_Model):
    """``list {ordered, items}``: items are plain text."""

    type: Literal["list"]
    ordered: bool = False
    items: Annotated[list[str], Field(min_length=1)]


class ImageBlock(Image):
    """``image {…Image}``."""

    type: Literal["image"]


class Gallery(_Model):
    """``gallery {images}``: rendered as an ``amp-carousel`` of slides."""

    type: Literal["gallery"]
    images: Annotated[list[Image], Field(min_length=1)]


class Embed(_Model):
    """``embed {provider, id|url}``: youtube, vimeo, twitter, instagram, facebook, soundcloud,
    iframe (the last needs ``url``)."""

    type: Literal["embed"]
    provider: Literal["youtube", "vimeo", "twitter", "instagram", "facebook", "soundcloud",
                      "iframe"]
    id: str | None = None
    url: WebURL | None = None
    caption: str | None = None

    @model_validator(mode="after")
    def _id_or_url(self) -> Embed:
        if not (self.id or self.url):
            raise ValueError("an embed needs an id or a url")
        return self


class Video(_Model):
    """``video {src, poster?, width?, height?, caption?}`` → ``amp-video`` (https only)."""

    type: Literal["video"]
    src: Annotated[str, Field(pattern=r"^https://\S+$")]
    poster: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    width: Annotated[int, Field(gt=0)] | None = None
    height: Annotated[int, Field(gt=0)] | None = None
    caption: str | None = None


class Audio(_Model):
    """``audio {src, caption?}`` → ``amp-audio`` (https only)."""

    type: Literal["audio"]
    src: Annotated[str, Field(pattern=r"^https://\S+$")]
    caption: str | None = None


class Code(_Model):
    """``code {text, language?}`` → ``<pre><code>``; text is shown verbatim (escaped)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False, frozen=True)

    type: Literal["code"]
    text: str
    language: str | None = None

    @field_validator("text", "language")
    @classmethod
    def _valid_unicode(cls, value: str | None) -> str | None:
        """pydantic refuses a lone surrogate (``\\ud800`` in the JSON) as ``string_unicode``
        only while it strips the string; this block keeps its white space, so the check is
        made here, with the same error (a lone surrogate cannot be written as UTF-8)."""
        if value is not None and LONE_SURROGATE.search(value):
            raise PydanticCustomError("string_unicode", "Input should be a valid string, "
                                      "unable to parse raw data as a unicode string")
        return value


class Table(_Model):
    """``table {rows, header?, caption?}``: ``header`` is one row of column titles, ``rows`` a
    list of rows of plain-text cells."""

    type: Literal["table"]
    header: list[str] | None = None
    rows: Annotated[list[list[str]], Field(min_length=1)]
    caption: str | None = None


class Divider(_Model):
    """``divider {}`` → ``<hr>``."""

    type: Literal["divider"]


class HTMLBlock(_Model):
    """``html {html}``: flow content, converted to AMP like ``body_html``."""

    type: Literal["html"]
    html: str


Block = Annotated[
    Paragraph | Heading | Quote | ListBlock | ImageBlock | Gallery | Embed | Video | Audio | Code
    | Table | Divider | HTMLBlock,
    Field(discriminator="type"),
]

#: The block ``type`` values the contract knows, in the order of DESIGN §3.
BLOCK_TYPES = ("paragraph", "heading", "quote", "list", "image", "gallery", "embed", "video",
               "audio", "code", "table", "divider", "html")


class Article(_Model):
    """One article (DESIGN §3, contract version 1).

    Exactly one of ``body`` (blocks), ``body_html`` or ``body_markdown`` is present. ``slug`` and
    ``id`` default to values derived from the source key (see :mod:`amp_publisher.core.keys`);
    ``language`` defaults to the site's. Dates are :class:`datetime.date` (date only) or
    timezone-aware :class:`datetime.datetime`.
    """

    schema_version: Annotated[int, Field(strict=True)] = SCHEMA_VERSION
    id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    slug: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None
    headline: Annotated[str, Field(min_length=1, max_length=300)]
    alternative_headline: str | None = None
    description: str | None = None
    canonical_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+\S*$"),
                             AfterValidator(_well_formed_url)] | None = None
    section: str | None = None
    tags: list[str] = []
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)] | None = None
    #: Text direction of the page (HTML ``dir``: ``ltr``, ``rtl``, ``auto``); absent: the
    #: browser's default (left to right).
    dir: Literal["ltr", "rtl", "auto"] | None = None
    published: When
    updated: When | None = None
    authors: list[Author] = []
    image: Image | None = None
    body: Annotated[list[Block], Field(min_length=1)] | None = None
    body_html: str | None = None
    body_markdown: str | None = None
    #: ``draft`` takes the page down (a takedown, not an error): see
    #: :class:`~amp_publisher.core.errors.NotPublishedError`.
    status: Literal["published", "draft"] = "published"

    @field_validator("schema_version")
    @classmethod
    def _known_major(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(
                f"unknown schema_version {value}; this renderer reads version {SCHEMA_VERSION}")
        return value

    @model_validator(mode="after")
    def _contract_rules(self) -> Article:
        bodies = [self.body is not None, self.body_html is not None,
                  self.body_markdown is not None]
        if sum(bodies) != 1:
            raise _PathError("body", "exactly one of body, body_html, body_markdown is required")
        if self.updated is not None and instant(self.updated) < instant(self.published):
            raise _PathError("updated", "must not be before published")
        return self


class _PathError(ValueError):
    """A model-level rule broken by one named field (so the error path names that field)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def instant(value: dt.date | str) -> dt.datetime:
    """A contract date (:class:`datetime.date`, :class:`datetime.datetime` or its ISO 8601
    text) as an aware datetime, to compare or order: a bare date is the start of its day in UTC
    (as in the page's JSON-LD), a date-time without a zone is UTC (as :data:`When` reads it).

    >>> instant("2019-05-10") < instant("2019-05-10T08:00:00-05:00")
    True

    Raises:
        ValueError: text that ``fromisoformat`` cannot read.
    """
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _json_path(loc: tuple[Any, ...]) -> str:
    """``('body', 3, 'heading', 'level')`` → ``body[3].level`` (the discriminator tag pydantic
    inserts after a list index is dropped: it is not part of the JSON document)."""
    out = ""
    previous_was_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            previous_was_index = True
            continue
        if previous_was_index and part in BLOCK_TYPES:
            previous_was_index = False
            continue
        if previous_was_index is False and part in ("function-after", "function-before"):
            continue
        out += f".{part}" if out else str(part)
        previous_was_index = False
    return out


def _schema_error(exc: ValidationError) -> SchemaError:
    first = exc.errors(include_url=False)[0]
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _PathError):
        return SchemaError(f"{ctx_error.path}: {ctx_error}", path=ctx_error.path)
    path = _json_path(tuple(first["loc"])) or "$"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "string_unicode":
        message = ("text that is not valid Unicode (a lone surrogate escape such as \\ud800) "
                   "in a field name or value")
    elif first["type"] == "union_tag_invalid":
        tag = (first.get("ctx") or {}).get("tag")
        message = (f"unknown block type {tag!r}; expected one of " + ", ".join(BLOCK_TYPES))
        path = f"{path}.type"
    elif first["type"] == "union_tag_not_found":
        message = "a block needs a 'type' (one of " + ", ".join(BLOCK_TYPES) + ")"
        path = f"{path}.type"
    count = exc.error_count()
    if count > 1:
        message += f" (and {count - 1} more error{'s' if count > 2 else ''})"
    return SchemaError(f"{path}: {message}", path=path)


def parse_article(data: Any) -> Article:
    """Validate a decoded JSON value against the contract.

    Args:
        data: the ``json.loads`` result (must be an object).

    Returns:
        The :class:`Article`.

    Raises:
        SchemaError: the first violation, with ``path`` in JSON-path form and a message that
            names the field; unknown block types list the known ones.
    """
    if not isinstance(data, dict):
        raise SchemaError(f"an article is a JSON object, not {type(data).__name__}", path="$")
    try:
        return Article.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc) from None


def _holds_model(annotation: Any) -> bool:
    """Whether a field annotation can hold a pydantic model (directly, in a list, a union or
    ``Annotated``)."""
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    return any(_holds_model(arg) for arg in getattr(annotation, "__args__", ()))


# Per model class, computed once: rendering walks every article's models for unknown fields,
# and most fields (text, dates, URLs) can never hold a model. Keyed by the class itself.
_MODEL_VALUED: dict[type, tuple[str, ...]] = {}


def _model_valued_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The names of ``cls``'s fields whose annotation can hold a model, in field order."""
    names = _MODEL_VALUED.get(cls)
    if names is None:
        names = _MODEL_VALUED[cls] = tuple(
            name for name, field in cls.model_fields.items() if _holds_model(field.annotation))
    return names


def unknown_field_paths(model: BaseModel, prefix: str = "") -> list[str]:
    """JSON paths of the fields the contract does not know (kept aside, not rendered).

    >>> a = parse_article({"headline": "H", "published": "2026-01-01", "colour": "red",
    ...                    "body": [{"type": "divider", "style": "dots"}]})
    >>> unknown_field_paths(a)
    ['colour', 'body[0].style']
    """
    paths = [f"{prefix}{name}" for name in (model.model_extra or {})]
    for name in _model_valued_fields(type(model)):
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if isinstance(item, BaseModel):
                where = f"{prefix}{name}[{index}]." if isinstance(value, list) else \
                    f"{prefix}{name}."
                paths.extend(unknown_field_paths(item, where))
    return paths


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the article contract, generated from the models."""
    schema = Article.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"amp-publisher article (contract version {SCHEMA_VERSION})"
    return schema
