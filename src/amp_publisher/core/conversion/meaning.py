"""Step 0b: meaning kept where the generic rules would lose or leak it (issue 14 item 4).

* **MathML** is not AMP; unwrapped to its text, ``x<sup>2</sup>`` in MathML reads "x 2".
  A ``<math>`` element becomes:

  - ``<amp-mathml data-formula="\\[…\\]">`` (``inline`` and ``\\(…\\)`` unless
    ``display="block"``) when it carries a TeX form: an ``<annotation>`` with encoding
    ``application/x-tex`` (what MathJax, KaTeX and Wikipedia write), or a TeX form derived from
    its presentation markup when every element in it is one :func:`mathml_to_tex` reads
    (``mi mn mo mtext mrow msup msub msubsup mfrac msqrt mroot mover munder mspace
    semantics``);
  - otherwise readable linear text (``x^2``, ``(a)/(b)``, ``√(x)``), reported
    (``MATH_AS_TEXT``).

  amp-mathml: https://amp.dev/documentation/components/amp-mathml/ (``data-formula`` holds TeX
  with its delimiters; ``layout="container"``).

  Hand-written rather than a library: the only Python MathML → TeX package is a single
  unmaintained release, and the subset above is what CMS exports contain (editors insert TeX;
  presentation MathML beside it is its rendering).
* **Contact data**: elements that are not HTML and name contact data (:data:`CONTACT_ELEMENTS`:
  ``<email>``, ``<phone>``, …; CMS attributions carry reporters' addresses in them) are removed
  *with* their content, not unwrapped, with a ``CONTACT_DATA`` entry; so is ``<address>``
  inside an attribution (``cite``, ``figcaption``, ``footer`` of a quote).

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<p><math><msup><mi>x</mi><mn>2</mn></msup></math> and '
    ...                       '<math><mi>x</mi><mo>&#8290;</mo><menclose>y</menclose></math>'
    ...                       '<cite>Ann <email>ann@example.com</email></cite></p>')
    >>> MeaningStep().run(root, ctx)
    >>> serialize_children(root)
    '<p><amp-mathml layout="container" data-formula="\\\\(x^{2}\\\\)" inline=""></amp-mathml> \
and <span class="math">x\\u2062y</span><cite>Ann </cite></p>'
"""

from __future__ import annotations

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.report import remove_element, replace_element
from amp_publisher.core.conversion.tree import iter_elements, new_element, tag_of, visible_text

__all__ = ["CONTACT_ELEMENTS", "TEX_ENCODINGS", "MeaningStep", "mathml_to_tex", "mathml_to_text"]

CONTACT_ELEMENTS = frozenset({"email", "e-mail", "mail", "emailaddress", "phone", "telephone",
                              "tel", "fax", "mobile", "cellphone", "contact", "contactinfo"})
"""Non-HTML element names that carry a person's contact data: removed with their content."""

_ATTRIBUTIONS = frozenset({"cite", "figcaption", "footer"})

TEX_ENCODINGS = frozenset({"application/x-tex", "text/x-tex", "tex", "latex",
                           "application/x-latex", "text/latex"})
"""``<annotation encoding>`` values (lower case) whose content is TeX."""

_MATHML_RULE = "https://amp.dev/documentation/components/amp-mathml/"
# data minimisation (GDPR Art. 5(1)(c)); docs/conversion.md, "Meaning kept"
_CONTACT_RULE = "https://gdpr-info.eu/art-5-gdpr/"
_TEX_OPERATORS = {"±": r"\pm", "×": r"\times", "÷": r"\div", "≤": r"\le", "≥": r"\ge",
                  "≠": r"\ne", "≈": r"\approx", "∞": r"\infty", "∑": r"\sum", "∏": r"\prod",
                  "∫": r"\int", "→": r"\to", "−": "-", "⋅": r"\cdot", "·": r"\cdot",
                  "∈": r"\in", "∂": r"\partial", "\u2062": "", "\u2061": "", "\u2063": ","}
_TEX_LETTERS = {"α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon",
                "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi", "σ": r"\sigma",
                "φ": r"\phi", "ω": r"\omega", "Δ": r"\Delta", "Σ": r"\Sigma", "Ω": r"\Omega"}
_TEX_SPECIAL = str.maketrans({c: "\\" + c for c in "#$%&_{}"})


class _NotConvertible(Exception):
    """The MathML holds an element :func:`mathml_to_tex` does not read."""


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _tex(el: etree._Element) -> str:
    tag = tag_of(el)
    kids = _children(el)
    if tag in ("mi", "mn"):
        text = _text(el)
        return "".join(_TEX_LETTERS.get(c, c.translate(_TEX_SPECIAL)) for c in text)
    if tag == "mo":
        text = _text(el)
        return _TEX_OPERATORS.get(text, text.translate(_TEX_SPECIAL))
    if tag == "mtext":
        return r"\text{" + _text(el).translate(_TEX_SPECIAL) + "}"
    if tag == "mspace":
        return r"\ "
    if tag in ("math", "mrow", "semantics", "mstyle"):
        if tag == "semantics":
            kids = [k for k in kids if tag_of(k) not in ("annotation", "annotation-xml")]
        return "".join(_tex(k) for k in kids)
    if tag == "msqrt":
        return r"\sqrt{" + "".join(_tex(k) for k in kids) + "}"
    two = {"msup": "{}^{{{}}}", "msub": "{}_{{{}}}", "mfrac": r"\frac{{{}}}{{{}}}",
           "mroot": r"\sqrt[{1}]{{{0}}}", "mover": r"\overset{{{1}}}{{{0}}}",
           "munder": r"\underset{{{1}}}{{{0}}}"}
    if tag in two and len(kids) == 2:
        base, other = _tex(kids[0]), _tex(kids[1])
        if tag in ("msup", "msub") and len(_children(kids[0])) > 1:
            base = "{" + base + "}"
        return two[tag].format(base, other)
    if tag == "msubsup" and len(kids) == 3:
        return f"{_tex(kids[0])}_{{{_tex(kids[1])}}}^{{{_tex(kids[2])}}}"
    raise _NotConvertible(tag)


def mathml_to_tex(math: etree._Element) -> str | None:
    """The TeX of a ``<math>`` element: its TeX annotation if it has one, else TeX derived from
    its presentation markup, or ``None`` when it holds an element outside the subset in the
    module doc.

    Example:
        >>> from amp_publisher.core.conversion.tree import parse_fragment
        >>> math = parse_fragment('<math><mfrac><mn>1</mn><msqrt><mi>x</mi></msqrt></mfrac>'
        ...                       '</math>')[0]
        >>> mathml_to_tex(math)
        '\\\\frac{1}{\\\\sqrt{x}}'
    """
    for el in math.iter():
        if isinstance(el.tag, str) and tag_of(el) == "annotation" and \
                (el.get("encoding") or "").strip().lower() in TEX_ENCODINGS and _text(el):
            return (el.text or "").strip()
    try:
        tex = _tex(math)
    except _NotConvertible:
        return None
    return tex or None


def mathml_to_text(el: etree._Element) -> str:
    """A readable linear text form of MathML: ``x^2``, ``x_i``, ``(a)/(b)``, ``√(x)``; unknown
    elements give their children's text. Annotations are left out (they repeat the formula).

    Example:
        >>> from amp_publisher.core.conversion.tree import parse_fragment
        >>> math = parse_fragment('<math><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo>'
        ...                       '<mfrac><mi>a</mi><mrow><mi>b</mi><mo>+</mo><mn>1</mn></mrow>'
        ...                       '</mfrac></math>')[0]
        >>> mathml_to_text(math)
        'x^2+a/(b+1)'
    """
    tag = tag_of(el)
    kids = _children(el)
    if tag in ("annotation", "annotation-xml"):
        return ""
    if not kids:
        return _text(el)

    def group(node: etree._Element) -> str:
        text = mathml_to_text(node)
        return text if len(text) <= 1 or text.isalnum() else f"({text})"

    if tag == "msup" and len(kids) == 2:
        return f"{group(kids[0])}^{group(kids[1])}"
    if tag == "msub" and len(kids) == 2:
        return f"{group(kids[0])}_{group(kids[1])}"
    if tag == "msubsup" and len(kids) == 3:
        return f"{group(kids[0])}_{group(kids[1])}^{group(kids[2])}"
    if tag == "mfrac" and len(kids) == 2:
        return f"{group(kids[0])}/{group(kids[1])}"
    if tag == "msqrt":
        return "√(" + "".join(mathml_to_text(k) for k in kids) + ")"
    if tag == "mroot" and len(kids) == 2:
        return f"{group(kids[1])}√{group(kids[0])}"
    return "".join(mathml_to_text(k) for k in kids)


class MeaningStep:
    """Converts MathML and removes contact-data elements (module doc)."""

    name = "meaning"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Convert every ``<math>`` and remove every contact-data element below ``root``."""
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            tag = tag_of(el)
            if tag == "math":
                self._math(el, ctx)
            elif tag in CONTACT_ELEMENTS or (tag == "address" and any(
                    tag_of(a) in _ATTRIBUTIONS for a in el.iterancestors())):
                remove_element(ctx.reporter, el, code="CONTACT_DATA",
                               detail=f"<{tag}> removed with its content: contact data of a "
                               "person is not published", rule=_CONTACT_RULE)

    def _math(self, math: etree._Element, ctx: ConversionContext) -> None:
        tex = mathml_to_tex(math)
        block = (math.get("display") or "").lower() == "block"
        if tex and not (ctx.inline and block):
            formula = (r"\[" + tex + r"\]") if block else (r"\(" + tex + r"\)")
            attrs = {"layout": "container", "data-formula": formula}
            if not block:
                attrs["inline"] = ""
            replace_element(ctx.reporter, math, new_element("amp-mathml", attrs),
                            code="CONVERTED_MATH", detail="MathML converted to <amp-mathml> "
                            f"(TeX {tex[:60]!r})", rule=_MATHML_RULE)
            ctx.extensions.add("amp-mathml")
            return
        text = mathml_to_text(math)
        span = new_element("span", {"class": "math"}, text)
        replace_element(ctx.reporter, math, span, code="MATH_AS_TEXT",
                        detail=f"MathML without a TeX form shown as linear text {text[:60]!r}",
                        rule=_MATHML_RULE,
                        removed_text="" if text else visible_text(math))
