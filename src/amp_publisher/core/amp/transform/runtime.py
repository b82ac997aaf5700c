"""The AMP runtime's CSS, inlined as ``<style amp-runtime i-amphtml-version=...>``.

A transformed page carries the CSS the runtime (``v0.js``) would otherwise insert when it
starts, so components are laid out before it arrives (the AMP Optimizer's
``AmpBoilerplateTransformer``). The copy shipped in the package, ``runtime/v0.css`` with its
version in ``runtime/runtime.json``, comes from the AMP project (Apache License 2.0,
``runtime/v0.css.LICENSE``); ``make runtime-css`` (``tools/refresh_runtime_css.py``) refreshes
it. The runtime compares ``i-amphtml-version`` with its own version and installs its own CSS
when they differ, so a slightly older copy costs a style recalculation, never a broken page.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

from amp_publisher.core.amp.transform.document import Document

__all__ = ["RuntimeStyles", "packaged_runtime_styles", "inline_runtime_css"]


@dataclass(frozen=True)
class RuntimeStyles:
    """The runtime CSS to inline.

    Attributes:
        version: the runtime version it belongs to (15 digits, e.g. ``012612061822000``).
        css: the content of that version's ``v0.css``.
    """

    version: str
    css: str


@functools.cache
def packaged_runtime_styles() -> RuntimeStyles:
    """The copy shipped in the package (read once per process).

    Raises:
        FileNotFoundError: the package was installed without its data files.
    """
    folder = resources.files("amp_publisher.core.amp.transform") / "runtime"
    meta = json.loads((folder / "runtime.json").read_text(encoding="utf-8"))
    return RuntimeStyles(version=meta["version"],
                         css=(folder / "v0.css").read_text(encoding="utf-8"))


def inline_runtime_css(doc: Document, styles: RuntimeStyles) -> bool:
    """Fill the page's ``<style amp-runtime>`` with ``styles``.

    Args:
        doc: the parsed page, edited in place.
        styles: what to inline.
    Returns:
        False when the page has no ``<style amp-runtime>`` (it was not server-side rendered),
        which then stays as it was.
    """
    for el in doc.head:
        if el.tag == "style" and el.get("amp-runtime") is not None:
            el.set("i-amphtml-version", styles.version)
            el.text = styles.css
            return True
    return False
