"""The theme's fixed strings in the page's language: gettext message catalogs (Babel) used by the
templates through Jinja2's ``i18n`` extension and by the few strings made in Python.

Where the catalogs live: ``locale/<ll>/LC_MESSAGES/messages.po`` inside the theme (the default
theme has ``de``, ``es`` and ``fr``; English is the source language and needs none). A custom
theme overrides a language's catalog by shipping the same path, exactly as it overrides a
template, and the catalogs count in the render fingerprint like every theme file, so a changed
translation re-renders the site.

Why ``.po`` read at load rather than compiled ``.mo`` files: the ``.po`` files are the kept
source, reviewable in a diff; compiling them needs nothing but Babel (a runtime dependency), so
the Lambda package and the wheel carry no build output and no build step can be forgotten. Each
catalog is parsed once per process (``babel.messages.pofile.read_po``), written to an in-memory
``.mo`` (``write_mo``) and loaded as :class:`babel.support.Translations`: about a millisecond for
the default theme's catalog, paid at the first page of that language (the handler's priming
renders one page).

``make messages`` extracts the strings (``pybabel extract -F babel.cfg``: the templates'
``_()`` calls and Python's ``_()``/``N_()`` calls) and updates every catalog (``pybabel update``);
``tests/test_i18n.py`` fails when a string has no translation in a catalog.

Example:
    >>> gettext_for("default", "de-AT")("Related")
    'Mehr zum Thema'
    >>> gettext_for("default", "en-GB")("Related"), gettext_for("default", "xx")("Related")
    ('Related', 'Related')
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

__all__ = ["N_", "catalog_locales", "translations", "gettext_for", "install"]

#: Where a theme keeps its catalog of a locale (a path its template loader resolves).
CATALOG_PATH = "locale/{locale}/LC_MESSAGES/messages.po"


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Mark ``message`` for extraction without translating it (a default translated later,
    where the page's language is known)."""
    return message


def catalog_locales(language: str) -> list[str]:
    """The catalog names to look for, most specific first, for a BCP 47 tag.

    >>> catalog_locales("de-AT"), catalog_locales("zh-Hant-TW"), catalog_locales("fr")
    (['de_AT', 'de'], ['zh_Hant_TW', 'zh_Hant', 'zh'], ['fr'])
    """
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        base = language.split("-")[0].lower()
        return [base] if base else []
    names = [str(locale)]
    if locale.script:
        names.append(f"{locale.language}_{locale.script}")
    names.append(locale.language)
    return list(dict.fromkeys(names))


@functools.cache
def translations(theme: str, language: str) -> Any:
    """The translations of ``theme`` for ``language`` (a :class:`gettext.NullTranslations`
    subclass; cached per process): the most specific catalog the theme has
    (:func:`catalog_locales`), falling back to the less specific ones, then to the source
    strings (English).

    Raises:
        babel.messages.pofile.PoFileError: a catalog is not a valid ``.po`` file.
    """
    from babel.support import NullTranslations, Translations

    found: list[Any] = []
    for name in catalog_locales(language):
        source = _catalog_source(theme, name)
        if source is not None:
            found.append(_compile(source, name))
    if not found:
        return NullTranslations()
    first: Translations = found[0]
    for more in found[1:]:
        first.add_fallback(more)
    return first


def _catalog_source(theme: str, locale: str) -> str | None:
    """The ``.po`` text of ``theme``'s catalog for ``locale`` through the theme's template
    loader (a custom theme's own, else the default theme's), or ``None``."""
    import jinja2

    from amp_publisher.core.theme import theme_environment

    env = theme_environment(theme)
    try:
        source, _, _ = env.loader.get_source(env, CATALOG_PATH.format(locale=locale))
    except jinja2.TemplateNotFound:
        return None
    return source


def _compile(source: str, locale: str) -> Any:
    """``.po`` text → :class:`babel.support.Translations` (via an in-memory ``.mo``; fuzzy
    entries are left out, as ``pybabel compile`` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    catalog = read_po(io.StringIO(source), locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@functools.cache
def gettext_for(theme: str, language: str) -> Callable[[str], str]:
    """The ``gettext`` of ``theme`` in ``language``, for strings made in Python (``_ =
    gettext_for(...)``; ``_("Page not found")``). Returns the message itself when there is no
    translation (and ``""`` for ``""``, never the catalog's header)."""
    gettext = translations(theme, language).gettext
    return lambda message: gettext(message) if message else message


def install(env: Any, theme: str) -> None:
    """Give ``env`` (a :class:`jinja2.Environment` of ``theme``) Jinja2's ``i18n`` extension with
    callables that translate into the rendered page's own ``language`` (a context variable
    every page has, :func:`amp_publisher.core.rendering.page_chrome`): one environment serves
    every language. Templates write ``{{ _("Related") }}`` or ``{{ _("By %(byline)s",
    byline=byline) }}`` (new-style gettext: placeholders are filled, and autoescaped, by the
    call)."""
    import jinja2

    @jinja2.pass_context
    def gettext(context: Any, message: str) -> str:
        return gettext_for(theme, context.get("language") or "en")(message)

    @jinja2.pass_context
    def ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        return translations(theme, context.get("language") or "en").ngettext(singular, plural, n)

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
