"""amp-publisher: article JSON in, valid AMP HTML page out.

The pure core is importable without AWS::

    from amp_publisher import parse_article, render
    page = render(parse_article(data), site)

Heavy modules load on first use (a cached module ``__getattr__``), so importing the package, or the
Lambda handler through it, stays cheap at cold start.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

__all__ = ["__version__", "parse_article", "render", "Page", "SiteConfig", "validate"]

_LAZY = {
    "parse_article": ("amp_publisher.core.models", "parse_article"),
    "render": ("amp_publisher.core.rendering", "render"),
    "Page": ("amp_publisher.core.rendering", "Page"),
    "SiteConfig": ("amp_publisher.core.site", "SiteConfig"),
    "validate": ("amp_publisher.core.amp.validator", "validate"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'amp_publisher' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value
