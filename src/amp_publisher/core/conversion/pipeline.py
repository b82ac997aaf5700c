"""The conversion pipeline: its steps, their order (declared once, here, as data) and the
ordering constraints that order must satisfy.

Each step is a class with one public method, ``run(root, ctx)``, in its own module. The order is
:data:`STEPS`; :data:`ORDER_CONSTRAINTS` says which step must run before which and why, and the
test suite checks :data:`STEPS` against it, so reordering cannot silently break a conversion.

Example:
    >>> [step.name for step in STEPS][:4]
    ['clipboard', 'meaning', 'embeds', 'scripts']
"""

from __future__ import annotations

from typing import Protocol

from lxml import etree

from amp_publisher.core.conversion.clipboard import ClipboardStep
from amp_publisher.core.conversion.components import ComponentStep
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.embeds import EmbedStep
from amp_publisher.core.conversion.forms import FormStep
from amp_publisher.core.conversion.galleries import GalleryStep
from amp_publisher.core.conversion.generic import GenericStep
from amp_publisher.core.conversion.headings import HeadingStep
from amp_publisher.core.conversion.iframes import IframeStep
from amp_publisher.core.conversion.images import ImageStep
from amp_publisher.core.conversion.meaning import MeaningStep
from amp_publisher.core.conversion.media import MediaStep
from amp_publisher.core.conversion.mobile import WideContentStep
from amp_publisher.core.conversion.noscript import NoscriptStep
from amp_publisher.core.conversion.phrasing import PhrasingStep
from amp_publisher.core.conversion.scripts import ScriptStep
from amp_publisher.core.conversion.styles import StyleStep

__all__ = ["Step", "STEPS", "ORDER_CONSTRAINTS", "run_steps"]


class Step(Protocol):
    """One conversion step: a ``name`` and ``run(root, ctx)`` that edits the tree in place."""

    name: str

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:  # pragma: no cover
        ...


STEPS: tuple[Step, ...] = (
    ClipboardStep(),
    MeaningStep(),
    EmbedStep(),
    ScriptStep(),
    NoscriptStep(),
    ImageStep(),
    MediaStep(),
    GalleryStep(),
    IframeStep(),
    FormStep(),
    ComponentStep(),
    StyleStep(),
    HeadingStep(),
    PhrasingStep(),
    WideContentStep(),
    GenericStep(),
)
"""The steps in the order they run (issue 4 item 1; the WordPress AMP plugin's sanitizer order)."""

ORDER_CONSTRAINTS: tuple[tuple[str, str, str], ...] = (
    ("clipboard", "styles", "the Google Docs wrapper's style must go with it, not become CSS"),
    ("clipboard", "generic", "Word's <o:p> is removed when empty, not unwrapped into stray "
     "spaces"),
    ("meaning", "generic", "the generic pass would unwrap MathML into run-together text and "
     "unknown contact elements into published text"),
    ("phrasing", "mobile", "tables are wrapped where they finally stand, after phrasing "
     "content is settled"),
    ("meaning", "phrasing", "inline content keeps formulas as amp-mathml, not as flattened "
     "text"),
    ("embeds", "scripts", "embed code is recognised (and its widget script reported as part of "
     "the embed) before scripts are stripped generically"),
    ("embeds", "iframes", "YouTube/Vimeo/… player iframes must become their own components, "
     "not generic amp-iframes"),
    ("embeds", "generic", "the generic pass would unwrap embed blockquotes' scripts and iframes"),
    ("scripts", "generic", "scripts must be removed with their content, not unwrapped"),
    ("noscript", "images", "images inside <noscript> fallbacks must be converted too"),
    ("noscript", "media", "media inside <noscript> fallbacks must be converted too"),
    ("noscript", "iframes", "iframes inside <noscript> fallbacks must be converted too"),
    ("images", "styles", "style attributes of converted images are moved with everyone else's"),
    ("media", "styles", "style attributes copied onto amp-video/amp-audio are moved too"),
    ("iframes", "styles", "style attributes copied onto amp-iframe are moved too"),
    ("forms", "generic", "the generic pass would unwrap forms before amp-form could keep them"),
    ("styles", "generic", "the generic pass would drop <style> blocks and style attributes "
     "instead of moving them"),
    ("images", "phrasing", "<picture> must collapse into its image before non-phrasing "
     "elements are unwrapped"),
    ("phrasing", "generic", "the generic pass sees the final structure"),
    ("headings", "phrasing", "inline HTML unwraps headings; demoting first keeps one rule for "
     "both"),
    ("headings", "generic", "the generic pass checks the demoted heading's attributes"),
    ("components", "generic", "the generic pass allows amp-pixel, amp-analytics and srcdoc; "
     "author-supplied components must be constrained or removed before it keeps them"),
    ("iframes", "components", "amp-iframes the iframe step builds get the same sandbox check"),
    ("images", "galleries", "slides are converted images: the carousel takes the first one's "
     "width and height"),
    ("galleries", "components", "the components step keeps only carousels of the shape the "
     "galleries step writes, and unwraps any other"),
    ("galleries", "generic", "the generic pass would keep data-amp-carousel as a plain data "
     "attribute, leaving a list where the author asked for a carousel"),
)
"""``(earlier, later, why)``: ``earlier`` must run before ``later`` in :data:`STEPS`."""


def run_steps(root: etree._Element, ctx: ConversionContext) -> None:
    """Run :data:`STEPS` over ``root`` in order."""
    for step in STEPS:
        step.run(root, ctx)
