"""The state of one conversion, handed to every step: options, the reporter, and what the steps
collect (extension names, CSS). One context per :func:`~amp_publisher.core.conversion.convert_html`
call, so nothing is shared between conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from amp_publisher.core.conversion.report import Reporter

if TYPE_CHECKING:  # pragma: no cover - typing only
    from amp_publisher.core.conversion.generic import RuleSource
    from amp_publisher.core.conversion.images import ImageSizeResolver

__all__ = ["ConversionContext"]


@dataclass
class ConversionContext:
    """Options and accumulators of one conversion.

    Attributes:
        inline: phrasing content only (inline ``html`` fields of paragraph/quote blocks).
        base_url: absolute URL relative URLs in the body are resolved against, or ``None``.
        image_sizes: resolver of image dimensions, or ``None`` (fallback size then).
        css_budget: bytes of CSS (UTF-8) the body may add to ``<style amp-custom>``, or ``None``
            for no limit here (the renderer enforces the page total then).
        css_read_limit: UTF-8 bytes of raw CSS this conversion may read before it removes the
            rest unread, or ``None`` for :data:`~amp_publisher.core.conversion.styles.
            CSS_READ_FACTOR` × ``css_budget`` (a body converted in parts passes what its
            earlier parts left).
        css_read: UTF-8 bytes of raw CSS read so far.
        rules: the AMP rule source the generic pass reads, or ``None`` for the package's own.
        reporter: where every change is recorded.
        extensions: AMP component names the converted fragment uses.
        css: CSS chunks moved out of the body, in order.
    """

    inline: bool = False
    base_url: str | None = None
    image_sizes: ImageSizeResolver | None = None
    css_budget: int | None = None
    css_read_limit: int | None = None
    css_read: int = 0
    rules: RuleSource | None = None
    reporter: Reporter = field(default_factory=Reporter)
    extensions: set[str] = field(default_factory=set)
    css: list[str] = field(default_factory=list)
