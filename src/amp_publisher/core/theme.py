"""The theme: its Jinja2 environment, its stylesheets, and the compiled templates the build ships.

A theme is a folder of Jinja2 templates (``base.html``, ``article.html``, ``index.html``,
``404.html``, ``partials/``), stylesheets and message catalogs. The packaged ``default`` theme lives
in ``amp_publisher/core/templates/``; :data:`THEME_PATH_ENV` names a folder of more themes, which
shadow a packaged one of the same name file by file. :mod:`amp_publisher.core.rendering` lays out
pages with it.

Why compiled templates ship with the function: Jinja2 parses a template, generates Python source
from it and compiles that source the first time the template is loaded: about 25 ms of CPU for
the default theme's nine templates, paid by every new Lambda container (issue 16; a reader may be
waiting on it). The function's build (``src/Makefile``) runs :func:`compile_packaged_themes`
with CPython 3.12 and the Jinja2 release the layer pins, and ships the result beside the
templates: at run time :class:`ShippedTemplateBytecode` hands Jinja2 the compiled code (about
3 ms for all nine). It is Jinja2's own bytecode cache mechanism (:class:`jinja2.BytecodeCache`):
Jinja2 keeps a compiled template only when the SHA-1 of its current source matches the one it was
compiled from, and when the Python version matches (``jinja2.bccache.bc_magic``), so a custom
theme's template, an edited file or another Python compiles as before. The folder is also named
after the Jinja2 release that wrote it (:func:`cache_tag`), and another release does not read it.
Nothing compiled is in the source tree: without the build's folder, templates compile at first
use.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import shutil
import sys
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

__all__ = ["THEME_PATH_ENV", "TEMPLATES_DIR", "COMPILED_TEMPLATES_DIR", "theme_environment",
           "theme_css", "iso_date", "cache_tag", "ShippedTemplateBytecode",
           "compile_packaged_themes"]

#: Environment variable naming a directory with more themes (e.g. ``/opt/themes`` from a Lambda
#: layer); a theme there shadows the packaged one of the same name.
THEME_PATH_ENV = "AMP_PUBLISHER_THEME_PATH"

#: The packaged themes, one folder each.
TEMPLATES_DIR = Path(__file__).with_name("templates")

#: Where the function's build puts the compiled packaged templates: one subfolder per
#: :func:`cache_tag`. Absent in the source tree.
COMPILED_TEMPLATES_DIR = Path(__file__).with_name("compiled_templates")


def theme_environment(theme: str) -> Any:
    """The compiled Jinja2 environment of ``theme`` (a :class:`jinja2.Environment`, cached per
    process): the theme's own folder first (from :data:`THEME_PATH_ENV`, then the packaged
    one), then the default theme, so a custom theme overrides any template or partial and
    inherits the rest. Templates of other page types (index pages, the 404 page) extend
    ``base.html`` and render with :func:`amp_publisher.core.rendering.page_chrome`'s context.
    Packaged templates load from the build's compiled copy when there is one
    (:class:`ShippedTemplateBytecode`)."""
    return _environment(theme)


@functools.cache
def _environment(theme: str) -> Any:
    """:func:`theme_environment`, cached per process."""
    return _make_environment(theme, os.environ.get(THEME_PATH_ENV), _shipped_bytecode())


def _make_environment(theme: str, extra: str | None,
                      bytecode_cache: jinja2.BytecodeCache | None) -> jinja2.Environment:
    """A new environment for ``theme``, with the folder of more themes ``extra`` (or none). The
    one place the environment's options are set: the build compiles the shipped templates with
    it, so their code is what the function would have compiled."""
    loaders: list[jinja2.BaseLoader] = []
    if extra and (Path(extra) / theme).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(Path(extra) / theme)))
    if (TEMPLATES_DIR / theme).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(TEMPLATES_DIR / theme)))
    if theme != "default":
        loaders.append(jinja2.FileSystemLoader(str(TEMPLATES_DIR / "default")))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        # A theme has a dozen templates: keep them all in a plain dict, without the bounded
        # cache's least-recently-used bookkeeping on each lookup (every page looks up its
        # template and the partials it includes).
        cache_size=-1,
        bytecode_cache=bytecode_cache,
    )
    env.filters["human_date"] = _human_date  # kept for custom themes; see display_date
    env.filters["iso_date"] = iso_date
    from amp_publisher.core.i18n import install

    install(env, theme)  # _() in templates: the page's language (core/i18n.py)
    return env


@functools.cache
def theme_css(theme: str, name: str = "style.css") -> str:
    """A stylesheet of the theme (read once, comments and indentation dropped), checked so it
    cannot close its ``<style>``.

    Raises:
        ValueError: the file contains ``</``.
        jinja2.TemplateNotFound: the theme has no such file.
    """
    env = _environment(theme)
    source, _, _ = env.loader.get_source(env, name)
    if "</" in source:
        raise ValueError(f"theme {theme!r}: {name} must not contain '</'")
    return _minify_css(source)


def _minify_css(css: str) -> str:
    """Drop comments and indentation (bytes count against AMP's 75,000-byte CSS budget).

    A whitespace squeeze, not a CSS minifier: it keeps every declaration as written."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    lines = (line.strip() for line in css.splitlines())
    return "".join(line for line in lines if line)


def _human_date(value: dt.date, language: str = "en", timezone: str = "UTC") -> str:
    """A date as readers of ``language`` write it, in ``timezone``
    (:func:`amp_publisher.core.rendering.display_date`)."""
    from amp_publisher.core.rendering import display_date

    return display_date(value, language=language, timezone=timezone)["text"]


def iso_date(value: dt.date) -> str:
    """The ``<time datetime>`` value: the date as given, or the full date-time with its zone."""
    return value.isoformat()


# --- the compiled templates the build ships ---------------------------------------------------


def cache_tag() -> str:
    """The name of the compiled templates' folder for this process: the Jinja2 release and the
    Python version, e.g. ``jinja2-3.1.6-cp312``. Jinja2's generated code calls its own runtime,
    so code written by one release is only read by the same release."""
    return f"jinja2-{jinja2.__version__}-cp{sys.version_info[0]}{sys.version_info[1]}"


def _shipped_bytecode() -> ShippedTemplateBytecode | None:
    """The build's compiled templates for this Jinja2 and Python, or ``None`` (the source tree,
    or a build for another release)."""
    folder = COMPILED_TEMPLATES_DIR / cache_tag()
    try:
        return ShippedTemplateBytecode(folder) if folder.is_dir() else None
    except OSError:  # unreadable: compile at first use, as without the folder
        return None


class ShippedTemplateBytecode(jinja2.BytecodeCache):
    """A Jinja2 bytecode cache of the packaged themes' templates, in ``directory`` (a
    :class:`pathlib.Path`), read-only unless ``write`` (the build's).

    A template is found by its path inside :data:`TEMPLATES_DIR` (``default/article.html``),
    which is the same wherever the package is unpacked; a template outside it (a custom theme's)
    is never found. Jinja2 itself discards a found entry whose source checksum or Python version
    differs (:class:`jinja2.bccache.Bucket`), and compiles the template as it would without a
    cache. Reading never writes: the function's package is read-only in Lambda.
    """

    def __init__(self, directory: Path, *, write: bool = False) -> None:
        self.directory = Path(directory)
        self.write = write
        self._root = TEMPLATES_DIR.resolve()

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """SHA-1 (hex) of the template's path relative to :data:`TEMPLATES_DIR`, or of its
        name and absolute file name when it lies elsewhere."""
        where = f"{name}|{filename}"
        if filename is not None:
            path = Path(filename).resolve()
            if path.is_relative_to(self._root):
                where = path.relative_to(self._root).as_posix()
        return hashlib.sha1(where.encode("utf-8")).hexdigest()

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        """Jinja2's bucket for the template, its compiled code (if any) given the template's
        file name where it is now: the code carries the name it was compiled under, in the
        build's folder, and Jinja2 takes ``Template.filename`` and its tracebacks' file from
        it (Python's import does the same for a ``.pyc``)."""
        bucket = super().get_bucket(environment, name, filename, source)
        if bucket.code is not None and filename and bucket.code.co_filename != filename:
            bucket.code = _renamed(bucket.code, filename)
        return bucket

    def _file(self, key: str) -> Path:
        return self.directory / f"{key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill ``bucket`` from its file, if the build wrote one. A file that cannot be read
        as a whole template's code (truncated, damaged so that unpickling or unmarshalling
        fails) leaves the bucket empty: the template compiles from source. Jinja2's own reader
        discards a wrong header or checksum, but lets a truncated checksum's unpickling error
        through.

        The files are code shipped with the function, trusted as the ``.pyc`` files beside
        them are (hash-based and unchecked): a change that still unmarshals is not detected.
        """
        try:
            with open(self._file(bucket.key), "rb") as f:
                bucket.load_bytecode(f)
        except FileNotFoundError:
            return
        except Exception:  # noqa: BLE001 - any failure to read it: compile from source
            bucket.reset()
            return
        if bucket.code is not None and not isinstance(bucket.code, CodeType):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Write ``bucket`` (the build only; a no-op when reading)."""
        if self.write:
            with open(self._file(bucket.key), "wb") as f:
                bucket.write_bytecode(f)


def _renamed(code: CodeType, filename: str) -> CodeType:
    """``code`` and the code objects nested in it (a template's blocks and macros) with
    ``co_filename`` set to ``filename``."""
    consts = tuple(_renamed(c, filename) if isinstance(c, CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def compile_packaged_themes(directory: Path) -> list[str]:
    """Compile every ``.html`` template of every packaged theme into ``directory``/
    :func:`cache_tag`, with the environment the function uses (:func:`_make_environment`), then
    load each one back from there as the function will. Returns the compiled templates'
    theme-relative paths (``["default/404.html", ...]``), sorted.

    Raises:
        RuntimeError: a compiled template did not load from the folder (Jinja2 compiled it
            again), so shipping the folder would not help.
        jinja2.TemplateSyntaxError: a template does not compile.
    """
    folder = Path(directory) / cache_tag()
    shutil.rmtree(folder, ignore_errors=True)  # nothing left from an earlier build
    folder.mkdir(parents=True)
    compiled: list[str] = []
    for theme_dir in sorted(p for p in TEMPLATES_DIR.iterdir() if p.is_dir()):
        names = sorted(p.relative_to(theme_dir).as_posix() for p in theme_dir.rglob("*.html"))
        writer = _make_environment(theme_dir.name, None,
                                   ShippedTemplateBytecode(folder, write=True))
        for name in names:
            writer.get_template(name)
        reader = _make_environment(theme_dir.name, None, ShippedTemplateBytecode(folder))
        reader.compile = _refuse_to_compile  # type: ignore[method-assign]
        for name in names:
            reader.get_template(name)
            compiled.append(f"{theme_dir.name}/{name}")
    return sorted(compiled)


def _refuse_to_compile(source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
    """Stands in for :meth:`jinja2.Environment.compile` where every template must load compiled."""
    raise RuntimeError(f"template {name!r} was compiled again instead of loading from the "
                       "compiled templates")
