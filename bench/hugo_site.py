"""The Hugo side of the benchmark: the same generated articles as a Hugo site, built with Hugo.

:func:`write_site` lays out a Hugo project (``hugo.json`` from ``events/site.json``, the layouts in
``bench/hugo/layouts`` that mirror the default theme, the theme's ``style.css`` as an asset, one
Markdown content file per article from :func:`articles.to_hugo_markdown`). :func:`build` runs
``hugo`` on it and returns the wall time. Only article pages are built (home, sections, taxonomies,
RSS and sitemap are disabled), because that is all amp-publisher produces.

:func:`ensure_hugo` finds the ``hugo`` binary or installs the Debian package with
``apt-get install -y --no-install-recommends hugo`` when running as root; otherwise it says why
it cannot and the benchmark reports the Hugo figures as missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from articles import REPO, to_hugo_markdown

__all__ = ["ensure_hugo", "hugo_version", "write_site", "build", "touch_one"]

LAYOUTS = Path(__file__).resolve().parent / "hugo" / "layouts"
THEME_CSS = REPO / "src" / "amp_publisher" / "core" / "templates" / "default" / "style.css"
SITE_JSON = REPO / "events" / "site.json"


def ensure_hugo(log: Any = print) -> str | None:
    """Path of the ``hugo`` binary, installing the Debian package when missing.

    Returns ``None`` (after saying why through ``log``) when Hugo is absent and cannot be
    installed: not root, no ``apt-get``, or the install failed.
    """
    found = shutil.which("hugo")
    if found:
        return found
    if not shutil.which("apt-get"):
        log("hugo is not installed and there is no apt-get here: Hugo figures skipped")
        return None
    if os.geteuid() != 0:
        log("hugo is not installed; installing it needs root "
            "(sudo apt-get install -y --no-install-recommends hugo): Hugo figures skipped")
        return None
    log("hugo missing: apt-get install -y --no-install-recommends hugo")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "--no-install-recommends", "hugo"],
                    ["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends", "hugo"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if command[1] == "install" and done.returncode == 0:
            return shutil.which("hugo")
    log(f"could not install hugo (apt-get said: {done.stderr.strip()[-300:]}): "
        "Hugo figures skipped")
    return None


def hugo_version(hugo: str) -> str:
    """``hugo version`` output, first line."""
    done = subprocess.run([hugo, "version"], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[0]


def _config() -> dict[str, Any]:
    site = json.loads(SITE_JSON.read_text(encoding="utf-8"))
    return {
        "baseURL": site["base_url"].rstrip("/") + "/",
        "title": site["name"],
        "languageCode": site.get("language", "en"),
        "disableKinds": ["home", "section", "taxonomy", "term", "RSS", "sitemap", "robotsTXT",
                         "404"],
        "params": {"tagline": site.get("tagline", ""), "badge": site.get("badge", ""),
                   "publisher": site["publisher"]},
        # Raw HTML bodies pass through (Hugo has no HTML→AMP conversion); fenced code stays
        # plain <pre><code>, as in our theme (no syntax highlighting on either side).
        "markup": {"goldmark": {"renderer": {"unsafe": True}},
                   "highlight": {"codeFences": False}},
        "buildFuture": True,
        "buildDrafts": False,
        "timeout": "600s",
    }


def write_site(root: Path, articles: list[dict[str, Any]]) -> Path:
    """Write a Hugo project for ``articles`` under ``root`` (replacing it). Returns ``root``."""
    if root.exists():
        shutil.rmtree(root)
    (root / "content" / "articles").mkdir(parents=True)
    (root / "assets").mkdir()
    (root / "hugo.json").write_text(json.dumps(_config(), indent=2), encoding="utf-8")
    shutil.copytree(LAYOUTS, root / "layouts")
    shutil.copyfile(THEME_CSS, root / "assets" / "style.css")
    content = root / "content" / "articles"
    for article in articles:
        (content / f"{article['slug']}.md").write_text(to_hugo_markdown(article),
                                                       encoding="utf-8")
    return root


def build(hugo: str, root: Path, *, cores: int | None = None) -> tuple[float, int]:
    """Build the site from scratch (output folder emptied first), the way Hugo publishes after
    any content change; on all cores (Hugo's default) or ``cores`` (``GOMAXPROCS``).
    Returns (wall seconds, pages written).

    Raises:
        subprocess.CalledProcessError: Hugo failed (its stderr is in the exception).
    """
    root = root.resolve()
    public = root / "public"
    if public.exists():
        shutil.rmtree(public)
    started = time.perf_counter()
    env = os.environ | ({"GOMAXPROCS": str(cores)} if cores else {})
    subprocess.run([hugo, "--quiet", "--source", str(root), "--destination", str(public)],
                   check=True, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    pages = sum(1 for _ in public.rglob("index.html"))
    return elapsed, pages


def touch_one(root: Path, articles: list[dict[str, Any]], index: int = 0) -> None:
    """Change one article's content file (a new sentence), as an editor's fix would."""
    article = dict(articles[index])
    article["headline"] = article["headline"] + " (updated)"
    path = root / "content" / "articles" / f"{article['slug']}.md"
    path.write_text(to_hugo_markdown(article), encoding="utf-8")
