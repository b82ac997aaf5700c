"""The theme's 404 page: what a reader gets for a path the site does not have (DESIGN §10).

Pure: no AWS. The page is AMP (it extends the theme's ``base.html``, so it has the site's header,
footer and styles) and says ``noindex``; its canonical URL is the home page, since there is no
page here to be canonical. The function stores it as ``404.html`` in the site bucket, and the
distribution serves it with status 404 for any missing path (template.yaml,
``CustomErrorResponses``).

Example:
    >>> from amp_publisher.core.site import SiteConfig
    >>> html = render_not_found(SiteConfig(base_url="https://news.example"))
    >>> "noindex" in html and '<link rel="canonical" href="https://news.example/">' in html
    True
"""

from __future__ import annotations

from amp_publisher.core.i18n import gettext_for
from amp_publisher.core.rendering import page_chrome
from amp_publisher.core.site import SiteConfig
from amp_publisher.core.theme import theme_environment

__all__ = ["render_not_found", "ERROR_PAGE_KEY"]

#: Where the page is stored in the site bucket (the distribution's ``ResponsePagePath``).
ERROR_PAGE_KEY = "404.html"


def render_not_found(site: SiteConfig) -> str:
    """The 404 page of ``site`` as AMP HTML (UTF-8 text), in the site's language (its texts
    from the theme's message catalogs, :mod:`amp_publisher.core.i18n`).

    Raises:
        jinja2.TemplateError: a custom theme's ``404.html`` is broken.
    """
    _ = gettext_for(site.theme, site.language)
    context = page_chrome(site, language=site.language)
    heading = _("Page not found")
    context.update(
        title=f"{heading} | {site.name}",
        canonical_url=f"{site.base_url}/",
        heading=heading,
        message=_("This page does not exist, or is no longer published."),
        home_link=_("Go to the %(site)s home page") % {"site": site.name},
    )
    return theme_environment(site.theme).get_template(ERROR_PAGE_KEY).render(context)
