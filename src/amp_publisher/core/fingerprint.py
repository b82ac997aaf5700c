"""The render fingerprint: what, besides the article, shapes a page (DESIGN §11).

A page depends on its source object and on four things shared by every page:

* the **effective site configuration** (environment values overlaid with ``config/site.json``),
* the **theme's files** (every template and stylesheet the theme's Jinja2 loader can see, the
  packaged default it falls back on included, so a theme layer update counts),
* the **renderer version** (``amp_publisher.__version__``),
* the **rules revision** (``spec_file_revision`` of the AMP validator rules the publish gate
  enforces).

:func:`render_fingerprint` hashes the four into 16 hex characters. The manifest records it on
every page it publishes (and on every failure), so a page whose fingerprint differs from the
current one is *stale*: ``amp-render status`` counts it and ``amp-render rebuild`` renders it
again. Everything hashed is serialised canonically (sorted keys, file names in order), so equal
inputs give equal fingerprints on every machine.

Example:
    >>> from amp_publisher.core.site import SiteConfig
    >>> a = render_fingerprint(SiteConfig(name="Example News"))
    >>> b = render_fingerprint(SiteConfig(name="Example Times"))
    >>> len(a), a == render_fingerprint(SiteConfig(name="Example News")), a == b
    (16, True, False)
"""

from __future__ import annotations

import functools
import hashlib
import json

from amp_publisher.core.site import SiteConfig

__all__ = ["render_fingerprint", "theme_digest", "FINGERPRINT_CHARS"]

#: Hex characters kept of the SHA-256: 64 bits, far beyond the number of configurations a site
#: will ever see, and short enough to read in ``amp-render status``.
FINGERPRINT_CHARS = 16


#: Theme files only paired mode's canonical pages use (:mod:`amp_publisher.core.canonical`):
#: left out of the digest in amp mode, whose pages they cannot change.
PAIRED_ONLY_FILES = frozenset({"canonical.css"})


@functools.cache
def theme_digest(theme: str, *, paired: bool = True) -> str:
    """SHA-256 (hex) of every file the theme ``theme`` renders with, as its Jinja2 loader
    resolves them (a file in ``AMP_PUBLISHER_THEME_PATH`` shadows the packaged one of the same
    name, and the default theme fills in what a custom theme leaves out); without ``paired``,
    :data:`PAIRED_ONLY_FILES` are left out. Read once per process: a Lambda container never
    sees its theme files change.

    Raises:
        jinja2.TemplateNotFound: a listed file disappeared while it was read.
    """
    from amp_publisher.core.theme import theme_environment

    env = theme_environment(theme)
    digest = hashlib.sha256()
    for name in sorted(env.loader.list_templates()):
        if not paired and name in PAIRED_ONLY_FILES:
            continue
        source, _, _ = env.loader.get_source(env, name)
        digest.update(name.encode("utf-8") + b"\0" + source.encode("utf-8") + b"\0")
    return digest.hexdigest()


@functools.cache
def _rules_revision() -> int:
    from amp_publisher.core.amp.rules import spec_file_revision

    return spec_file_revision()


def render_fingerprint(site: SiteConfig, *, amp_transform: bool = False) -> str:
    """The fingerprint of pages rendered with ``site`` by this renderer (16 hex characters).

    Args:
        site: the effective site configuration.
        amp_transform: the pages are published transformed (``AMP_TRANSFORM``, on by
            default in a deployment, which passes it explicitly); it joins the material only
            when true, so plain pages keep the fingerprint they had and a deployment whose
            setting changes, or that upgrades to the transformed default, sees every page
            stale.

    Returns:
        ``sha256(canonical JSON of {site, theme digest, renderer version, rules revision})``,
        its first :data:`FINGERPRINT_CHARS` hex characters.
    """
    from amp_publisher import __version__

    config = site.model_dump(mode="json")
    if config.get("page_mode") == "amp":
        # The default mode is left out, so the setting's arrival did not make every page
        # published before it stale; switching to paired (or back) changes the fingerprint.
        del config["page_mode"]
    material = json.dumps({"site": config,
                           "theme": theme_digest(site.theme, paired=site.paired),
                           "renderer": __version__,
                           "rules": _rules_revision(),
                           **({"output": "transformed"} if amp_transform else {})},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]
