"""AMP layout rules: which layout an element gets from its attributes, and whether it is allowed.

Implements the AMP layout system as the official validator does (``ValidateLayout`` /
``CalculateLayout`` in the validator engine; spec: https://amp.dev/documentation/guides-and-tutorials/learn/amp-html-layout/).
Lengths are CSS lengths: a number with an optional unit ``px``, ``em``, ``rem``, ``vh``, ``vw``,
``vmin``, ``vmax`` (no unit means px), or ``auto`` where allowed.

Example:
    >>> validate_layout({"width": "600", "height": "400"}, {"supported_layouts": ["FIXED"]})
    []
    >>> validate_layout({}, {"supported_layouts": ["FIXED", "RESPONSIVE"]})[0][0]
    'MISSING_LAYOUT_ATTRIBUTES'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LAYOUTS", "SIZE_DEFINED_LAYOUTS", "CssLength", "parse_length", "calculate_layout",
           "validate_layout", "rendered_layout", "parse_dimension", "valid_sizes"]

#: The layout names accepted in the ``layout`` attribute (lower case), per validator.proto.
LAYOUTS = (
    "nodisplay",
    "fixed",
    "fixed-height",
    "responsive",
    "container",
    "fill",
    "flex-item",
    "fluid",
    "intrinsic",
)

#: A CSS length as the layout attributes accept it (compiled by ``re`` on first use).
_LENGTH = r"^(\d+(?:\.\d+)?|\.\d+)(px|em|rem|vh|vw|vmin|vmax)?$"


@dataclass(frozen=True, slots=True)
class CssLength:
    """A parsed ``width``/``height`` value.

    Attributes:
        is_set: the attribute was present.
        is_valid: it parsed.
        is_auto: the value was ``auto``; is_fluid: ``fluid`` (height of layout=fluid).
        unit: ``px`` (the default), ``em`` ...
        numeral: the number (``0.0`` when not a number: absent, ``auto``, ``fluid``, invalid).
    """

    is_set: bool
    is_valid: bool = True
    is_auto: bool = False
    is_fluid: bool = False
    unit: str = "px"
    numeral: float = 0.0

    def css(self) -> str:
        """The length as CSS writes it: ``466px``, ``1.5em``, ``auto`` (the number without a
        trailing ``.0``, as the AMP runtime and optimizer print it)."""
        if self.is_auto:
            return "auto"
        number = int(self.numeral) if self.numeral == int(self.numeral) else self.numeral
        return f"{number}{self.unit}"


def parse_length(value: str | None, *, allow_auto: bool, allow_fluid: bool) -> CssLength:
    """Parse a ``width``/``height`` attribute value (``None`` means absent)."""
    if value is None:
        return CssLength(is_set=False)
    if value == "auto":
        return CssLength(is_set=True, is_valid=allow_auto, is_auto=True)
    if value == "fluid":
        return CssLength(is_set=True, is_valid=allow_fluid, is_fluid=True)
    m = re.match(_LENGTH, value)
    if not m:
        return CssLength(is_set=True, is_valid=False)
    return CssLength(is_set=True, unit=m.group(2) or "px", numeral=float(m.group(1)))


def calculate_layout(
    layout_attr: str | None,
    width: CssLength,
    height: CssLength,
    sizes: str | None,
    heights: str | None,
) -> str:
    """The layout the AMP runtime gives an element (upper case, as in the rules).

    An explicit ``layout`` wins; otherwise: no width and no height -> CONTAINER; a height with
    no width or ``width=auto`` -> FIXED_HEIGHT; width and height plus ``sizes`` or ``heights`` ->
    RESPONSIVE; otherwise FIXED.
    """
    if layout_attr:
        return layout_attr.upper().replace("-", "_")
    if not width.is_set and not height.is_set:
        return "CONTAINER"
    if height.is_set and (not width.is_set or width.is_auto):
        return "FIXED_HEIGHT"
    if height.is_set and width.is_set and (sizes or heights):
        return "RESPONSIVE"
    return "FIXED"


def validate_layout(
    attrs: dict[str, str], amp_layout: dict, tag: str = "amp-img"
) -> list[tuple[str, list[str]]]:
    """Check an element's layout attributes against its tag spec's ``amp_layout``.

    Args:
        attrs: the element's attributes (lower-case names).
        amp_layout: the tag spec's ``AmpLayout`` (``supported_layouts``,
            ``defines_default_width``/``defines_default_height``).
        tag: the tag's descriptive name, used in the messages.
    Returns:
        ``[(error_code, params), ...]`` with params in the order of the official message
        format for the code (``rules.error_format``). Empty when valid.
    """
    errors: list[tuple[str, list[str]]] = []
    layout_attr = attrs.get("layout")
    if layout_attr is not None and layout_attr.lower() not in LAYOUTS:
        return [("INVALID_ATTR_VALUE", ["layout", tag, layout_attr])]
    input_layout = layout_attr.lower().replace("-", "_").upper() if layout_attr else None
    width_in = parse_length(attrs.get("width"), allow_auto=True, allow_fluid=False)
    if not width_in.is_valid:
        return [("INVALID_ATTR_VALUE", ["width", tag, attrs["width"]])]
    height_in = parse_length(
        attrs.get("height"), allow_auto=True, allow_fluid=input_layout == "FLUID"
    )
    if not height_in.is_valid:
        return [("INVALID_ATTR_VALUE", ["height", tag, attrs["height"]])]
    supported = amp_layout.get("supported_layouts", [])
    width = width_in
    if (
        input_layout in (None, "FIXED")
        and not width.is_set
        and amp_layout.get("defines_default_width")
    ):
        width = CssLength(is_set=True)
    height = height_in
    if (
        input_layout in (None, "FIXED", "FIXED_HEIGHT")
        and not height.is_set
        and amp_layout.get("defines_default_height")
    ):
        height = CssLength(is_set=True)
    layout = calculate_layout(input_layout, width, height, attrs.get("sizes"), attrs.get("heights"))
    if height.is_auto and layout != "FLUID":
        return [("INVALID_ATTR_VALUE", ["height", tag, "auto"])]
    if layout not in supported:
        if input_layout is None and layout == "CONTAINER":
            return [("MISSING_LAYOUT_ATTRIBUTES", [tag])]
        code = "SPECIFIED_LAYOUT_INVALID" if input_layout else "IMPLIED_LAYOUT_INVALID"
        return [(code, [layout, tag])]
    if layout in ("FIXED", "FIXED_HEIGHT", "RESPONSIVE", "INTRINSIC") and not height.is_set:
        errors.append(("MANDATORY_ATTR_MISSING", ["height", tag]))
    if layout == "FIXED_HEIGHT" and width.is_set and not width.is_auto:
        errors.append(
            (
                "ATTR_VALUE_REQUIRED_BY_LAYOUT",
                [attrs.get("width", ""), "width", tag, layout, "auto"],
            )
        )
    if layout in ("FIXED", "RESPONSIVE", "INTRINSIC"):
        if not width.is_set:
            errors.append(("MANDATORY_ATTR_MISSING", ["width", tag]))
        elif width.is_auto:
            errors.append(("INVALID_ATTR_VALUE", ["width", tag, "auto"]))
    if (
        layout in ("RESPONSIVE", "INTRINSIC")
        and width.is_set
        and height.is_set
        and width.unit != height.unit
    ):
        errors.append(("INCONSISTENT_UNITS_FOR_WIDTH_AND_HEIGHT", [tag, width.unit, height.unit]))
    if attrs.get("heights") is not None and layout != "RESPONSIVE":
        code = (
            "ATTR_DISALLOWED_BY_SPECIFIED_LAYOUT"
            if input_layout
            else "ATTR_DISALLOWED_BY_IMPLIED_LAYOUT"
        )
        errors.append((code, ["heights", tag, layout]))
    return errors


#: Layouts whose box the page's CSS sizes before the runtime runs (the runtime's
#: ``isLayoutSizeDefined``): they get the class ``i-amphtml-layout-size-defined``.
SIZE_DEFINED_LAYOUTS = frozenset(
    {"fixed", "fixed-height", "responsive", "fill", "flex-item", "intrinsic"}
)

#: Sizes the AMP runtime gives these elements when the page sets none (amphtml
#: ``src/core/dom/layout``, ``getNaturalDimensions``), as (width, height).
_NATURAL_SIZES = {
    "amp-analytics": ("1px", "1px"),
    "amp-pixel": ("1px", "1px"),
    "amp-audio": ("auto", "auto"),
    "amp-social-share": ("60px", "44px"),
}


def rendered_layout(tag: str, attrs: dict[str, str]) -> tuple[str, CssLength, CssLength] | None:
    """The layout the AMP runtime will apply to a custom element, and the width and height it
    sizes it with, for server-side rendering (the AMP Optimizer's ``ServerSideRendering``;
    layout rules as :func:`calculate_layout`).

    An unknown ``layout`` value counts as absent, as in the runtime; elements without a
    width or height that the runtime sizes itself (``amp-analytics``, ``amp-pixel``,
    ``amp-audio``, ``amp-social-share``) get its natural size.

    Args:
        tag: the element's lower-case name (``"amp-img"``).
        attrs: its attributes (lower-case names).
    Returns:
        ``(layout, width, height)``, the layout in lower case as in the ``layout`` attribute
        (``"fixed-height"``); ``None`` when the width or height is not a valid length, so the
        element cannot be laid out before the runtime runs.
    """
    layout_attr = (attrs.get("layout") or "").lower()
    layout_in = layout_attr if layout_attr in LAYOUTS else ""
    width = parse_length(attrs.get("width"), allow_auto=True, allow_fluid=False)
    height = parse_length(attrs.get("height"), allow_auto=True, allow_fluid=layout_in == "fluid")
    if not width.is_valid or not height.is_valid:
        return None
    natural = _NATURAL_SIZES.get(tag)
    if natural is not None:
        if layout_in in ("", "fixed") and not width.is_set:
            width = parse_length(natural[0], allow_auto=True, allow_fluid=False)
        if layout_in in ("", "fixed", "fixed-height") and not height.is_set:
            height = parse_length(natural[1], allow_auto=True, allow_fluid=False)
    layout = calculate_layout(layout_in or None, width, height, attrs.get("sizes"),
                              attrs.get("heights"))
    return layout.lower().replace("_", "-"), width, height


def parse_dimension(value: str | None) -> int | None:
    """A ``width``/``height`` attribute as whole CSS pixels, when the layout system reads it as a
    px length (:func:`parse_length` with no unit or ``px``); editors' ``"20 PX"`` and
    ``" 7 "`` are read too. ``None`` for other units, ``auto``, ``0`` or what does not parse.
    The converter uses it to size what it builds and to repair a layout
    :func:`validate_layout` refuses.

    Example:
        >>> parse_dimension("20px"), parse_dimension("100%"), parse_dimension(" 7 ")
        (20, None, 7)
        >>> parse_dimension("20.5"), parse_dimension("2em"), parse_dimension("0")
        (20, None, None)
    """
    text = (value or "").strip().lower()
    if text.endswith("px"):  # not re.sub(r"\s+(?=px$)"): it retried from every space of a run
        text = text[:-2].rstrip() + "px"
    m = re.match(_LENGTH, text)
    if m is None or (m.group(2) or "px") != "px":
        return None
    return int(float(m.group(1))) or None


_SIZES_UNITS = frozenset({"px", "em", "rem", "ex", "ch", "vw", "vh", "vmin", "vmax", "cm", "mm",
                          "in", "pt", "pc", "q"})
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _sizes_condition(entry: str) -> str | None:
    """The media condition before the length that ends a ``sizes`` entry (``""`` when there is
    none), or ``None`` when the entry does not end with a length: ``calc(…)``, ``0``, or a
    number with a unit. Read from the end with string methods, in linear time: one regular
    expression with a lazy condition before ``\\d*\\.?\\d+`` backtracked over digit runs from
    every start position (800 digits: 15 s)."""
    lower = entry.lower()
    if lower.endswith(")"):
        start = lower.find("calc(")
        return entry[:start].rstrip() if 0 <= start < len(lower) - 6 else None
    number = lower.rstrip(_ASCII_LETTERS)
    unit = lower[len(number):]
    if not unit:  # only a unitless zero
        return entry[:-1].rstrip() if lower.endswith("0") else None
    if unit not in _SIZES_UNITS:
        return None
    digits = number.rstrip("0123456789.")
    run = number[len(digits):]
    if not run or run.endswith("."):
        return None
    # the longest tail of the run that is a number: at most one dot, a digit after it
    start = len(digits) + (run.rfind(".", 0, run.rfind(".")) + 1)
    return entry[:start].rstrip()


def valid_sizes(value: str) -> bool:
    """Whether a ``sizes`` value is a list of ``[media condition] length`` entries (WHATWG HTML
    §4.8.4.3.10 "sizes attributes", simplified: conditions are parenthesised; ``auto`` allowed).

    Not an AMP rule: the official engine reads ``sizes`` only to calculate the layout (present
    with width and height: ``RESPONSIVE``, :func:`calculate_layout`, which the converter and the
    validator share through :func:`validate_layout`), and accepts any value. The converter drops
    a ``sizes`` a browser would ignore; the validator does not call this.

    Example:
        >>> valid_sizes("(min-width: 600px) calc(50vw - 2em), 100vw")
        True
        >>> valid_sizes("https://x.test/a.png"), valid_sizes("600px 100vw")
        (False, False)
    """
    entries = [e.strip() for e in value.split(",")]
    if not entries or any(not e for e in entries):
        return False
    for entry in entries:
        if entry.lower() == "auto":
            continue
        condition = _sizes_condition(entry)
        if condition is None:
            return False
        if condition and not (condition.startswith("(") or condition.lower().startswith(
                ("not ", "only "))):
            return False
    return True
