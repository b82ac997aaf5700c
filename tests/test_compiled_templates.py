"""The theme's templates compiled by the function's build (amp_publisher.core.theme): pages come
out the same as from templates compiled at first use, nothing is compiled at run time when the
build's folder is there, and a template the folder does not match (edited after the build, a
custom theme's, another Jinja2 release) is compiled from its own source, never taken from it."""

from __future__ import annotations

import io
import marshal
import pickle
import shutil
import traceback

import jinja2
import pytest

from amp_publisher.core import theme
from amp_publisher.core.error_page import render_not_found
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import render

KEY = "articles/met-palantir-extension.json"


@pytest.fixture
def compiles(monkeypatch):
    """The names of the templates Jinja2 compiles from source from now on."""
    names: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        names.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


@pytest.fixture
def fresh_environment():
    """Each test builds the theme's environment anew (it is cached per process), and leaves
    none behind that reads a temporary folder."""
    theme._environment.cache_clear()
    yield
    theme._environment.cache_clear()


def _pages(reference_data, site) -> tuple[str, str]:
    article = render(parse_article(reference_data), site, source_key=KEY).html
    return article, render_not_found(site)


@pytest.fixture
def from_source(reference_data, site, fresh_environment, monkeypatch, tmp_path):
    """The reference article's page and the 404 page, every template compiled from source."""
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "absent")
    pages = _pages(reference_data, site)
    theme._environment.cache_clear()
    return pages


def test_every_packaged_template_is_compiled_and_loads_back(tmp_path):
    compiled = theme.compile_packaged_themes(tmp_path)
    packaged = sorted(p.relative_to(theme.TEMPLATES_DIR).as_posix()
                      for p in theme.TEMPLATES_DIR.rglob("*.html"))
    assert compiled == packaged and "default/article.html" in compiled
    folder = tmp_path / theme.cache_tag()
    assert len(list(folder.glob("*.cache"))) == len(packaged)


def test_pages_from_compiled_templates_are_the_same_and_compile_nothing(
        reference_data, site, from_source, compiles, monkeypatch, tmp_path):
    theme.compile_packaged_themes(tmp_path / "compiled")
    compiles.clear()
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "compiled")
    assert _pages(reference_data, site) == from_source
    assert compiles == []


def test_a_template_edited_after_the_build_is_compiled_from_its_new_source(
        reference_data, site, from_source, compiles, monkeypatch, tmp_path):
    # The build saw another article.html than the one the function now has.
    built = tmp_path / "built-templates"
    shutil.copytree(theme.TEMPLATES_DIR, built)
    article = built / "default" / "article.html"
    article.write_text("{% extends 'base.html' %}{% block body %}BUILT{% endblock %}\n",
                       encoding="utf-8")
    with monkeypatch.context() as building:
        building.setattr(theme, "TEMPLATES_DIR", built)
        theme.compile_packaged_themes(tmp_path / "compiled")
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "compiled")
    compiles.clear()

    assert _pages(reference_data, site) == from_source
    assert compiles == ["article.html"]  # the others matched their compiled code


def test_a_compiled_template_names_its_file_where_it_is_loaded_not_where_it_was_built(
        fresh_environment, compiles, monkeypatch, tmp_path):
    """Tracebacks of a template error point at the deployed file (and show its line), as
    Python's own tracebacks do for modules loaded from a .pyc written elsewhere."""
    built = tmp_path / "build" / "templates"
    shutil.copytree(theme.TEMPLATES_DIR, built)
    with monkeypatch.context() as building:
        building.setattr(theme, "TEMPLATES_DIR", built)
        theme.compile_packaged_themes(tmp_path / "compiled")
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "compiled")
    compiles.clear()
    env = theme.theme_environment("default")
    article = env.get_template("article.html")
    assert article.filename == str(theme.TEMPLATES_DIR / "default" / "article.html")

    with pytest.raises(jinja2.UndefinedError) as caught:
        article.render({})
    files = [frame.filename for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert str(theme.TEMPLATES_DIR / "default" / "base.html") in files
    assert not any(f.startswith(str(built)) for f in files)
    assert compiles == []


def test_a_custom_theme_template_is_compiled_from_its_own_source(
        reference_data, site, fresh_environment, compiles, monkeypatch, tmp_path):
    theme.compile_packaged_themes(tmp_path / "compiled")
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "compiled")
    custom = tmp_path / "themes" / "gazette"
    custom.mkdir(parents=True)
    source = (theme.TEMPLATES_DIR / "default" / "article.html").read_text(encoding="utf-8")
    custom.joinpath("article.html").write_text(
        source.replace('<h1 class="headline">', '<h1 class="headline gazette">'),
        encoding="utf-8")
    monkeypatch.setenv(theme.THEME_PATH_ENV, str(tmp_path / "themes"))
    compiles.clear()

    page = render(parse_article(reference_data), site.merged({"theme": "gazette"}),
                  source_key=KEY).html
    assert '<h1 class="headline gazette">' in page
    assert compiles == ["article.html"]  # the custom one; base.html and partials came compiled


def test_templates_compiled_by_another_jinja2_release_are_not_read(
        reference_data, site, from_source, compiles, monkeypatch, tmp_path):
    theme.compile_packaged_themes(tmp_path / "compiled")
    (tmp_path / "compiled" / theme.cache_tag()).rename(tmp_path / "compiled" / "jinja2-3.0.0-cp311")
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "compiled")
    compiles.clear()

    assert _pages(reference_data, site) == from_source
    assert "article.html" in compiles and "404.html" in compiles



def _code_replaced_by_a_tuple(good: bytes) -> bytes:
    """The file with its header and (matching) checksum, then a marshalled tuple, not code."""
    stream = io.BytesIO(good)
    stream.read(len(jinja2.bccache.bc_magic))
    pickle.load(stream)  # the source checksum
    return good[:stream.tell()] + marshal.dumps(("not", "code"))


@pytest.mark.parametrize("damage", [
    pytest.param(lambda good: b"", id="empty"),
    pytest.param(lambda good: good[:len(jinja2.bccache.bc_magic) + 5], id="cut in the checksum"),
    pytest.param(lambda good: good[:-10], id="cut in the code"),
    pytest.param(_code_replaced_by_a_tuple, id="no code after a matching checksum"),
])
def test_a_damaged_compiled_template_is_compiled_from_source(
        reference_data, site, from_source, compiles, monkeypatch, tmp_path, damage):
    """Jinja2 would fail every page on some of these (an unpickling error, a tuple where it
    expects code); none may cost more than compiling that template again."""
    theme.compile_packaged_themes(tmp_path / "compiled")
    folder = tmp_path / "compiled" / theme.cache_tag()
    article = folder / (theme.ShippedTemplateBytecode(folder).get_cache_key(
        "article.html", str(theme.TEMPLATES_DIR / "default" / "article.html")) + ".cache")
    article.write_bytes(damage(article.read_bytes()))
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", tmp_path / "compiled")
    compiles.clear()

    assert _pages(reference_data, site) == from_source
    assert compiles == ["article.html"]


def test_an_unreadable_compiled_folder_compiles_from_source(
        reference_data, site, from_source, compiles, monkeypatch, tmp_path):
    """The folder of a build whose permissions went wrong (is_dir raises EACCES)."""
    compiled = tmp_path / "compiled"
    is_dir = type(tmp_path).is_dir

    def unreadable(self):
        if self.is_relative_to(compiled):
            raise PermissionError(13, "Permission denied", str(self))
        return is_dir(self)

    theme.compile_packaged_themes(compiled)
    monkeypatch.setattr(theme, "COMPILED_TEMPLATES_DIR", compiled)
    monkeypatch.setattr(type(tmp_path), "is_dir", unreadable)
    compiles.clear()

    assert _pages(reference_data, site) == from_source
    assert "article.html" in compiles
