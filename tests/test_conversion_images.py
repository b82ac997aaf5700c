"""Images: img → amp-img / amp-anim, picture → its best image (amp.dev amp-img, amp-anim)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amp_publisher.core.conversion import convert_html
from amp_publisher.core.conversion.images import FALLBACK_SIZE

ROOT = Path(__file__).parent.parent
MESSY = ROOT / "tests/corpus/raw/messy-html"


class KnownSizes:
    """An ImageSizeResolver that knows a fixed table of sizes (what a header probe would say)."""

    def __init__(self, table: dict[str, tuple[int, int]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def size(self, src: str) -> tuple[int, int] | None:
        self.asked.append(src)
        return self.table.get(src)


def test_img_with_dimensions_becomes_intrinsic_amp_img():
    result = convert_html('<img src="https://cdn.example/a.jpg" width="640" height="480" '
                          'alt="A lake">')
    assert result.html == ('<amp-img src="https://cdn.example/a.jpg" width="640" height="480" '
                           'layout="intrinsic" alt="A lake"></amp-img>')
    assert result.extensions == frozenset()  # amp-img is built into the runtime


def test_img_without_dimensions_asks_the_resolver():
    sizes = KnownSizes({"https://cdn.example/a.jpg": (1200, 800)})
    result = convert_html('<img src="https://cdn.example/a.jpg" alt="">', image_sizes=sizes)
    assert sizes.asked == ["https://cdn.example/a.jpg"]
    assert result.html == ('<amp-img src="https://cdn.example/a.jpg" width="1200" height="800" '
                           'layout="intrinsic" alt=""></amp-img>')


def test_img_with_only_a_width_keeps_it_and_takes_the_natural_aspect_ratio():
    sizes = KnownSizes({"https://cdn.example/a.jpg": (1200, 800)})
    result = convert_html('<img src="https://cdn.example/a.jpg" width="300">', image_sizes=sizes)
    assert 'width="300" height="200" layout="intrinsic"' in result.html


def test_img_of_unknown_size_gets_the_fallback_ratio_with_responsive_layout():
    result = convert_html('<img src="https://cdn.example/a.jpg" alt="x">',
                          image_sizes=KnownSizes({}))
    width, height = FALLBACK_SIZE
    assert result.html == (f'<amp-img src="https://cdn.example/a.jpg" width="{width}" '
                           f'height="{height}" layout="responsive" alt="x" '
                           'class="amp-unknown-size"></amp-img>')


def test_units_inside_width_attributes_are_read_and_percentages_ignored():
    result = convert_html('<img src="/a.png" width="20px" height="20px" alt="icon">'
                          '<img src="/b.png" width="100%" height="50" alt="wide">')
    assert 'src="/a.png" width="20" height="20" layout="intrinsic"' in result.html
    assert 'src="/b.png" width="600" height="400" layout="responsive"' in result.html


def test_gif_becomes_amp_anim_and_needs_its_extension():
    result = convert_html('<img src="https://cdn.example/cat.gif?v=2" width="400" height="300" '
                          'alt="cat">')
    assert result.html == ('<amp-anim src="https://cdn.example/cat.gif?v=2" width="400" '
                           'height="300" layout="intrinsic" alt="cat"></amp-anim>')
    assert result.extensions == {"amp-anim"}


def test_lazy_loading_attributes_are_promoted_and_loading_decoding_dropped():
    result = convert_html('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
                          'data-src="https://cdn.example/a.jpg" '
                          'data-srcset="https://cdn.example/a.jpg 1x, '
                          'https://cdn.example/a2.jpg 2x" loading="lazy" decoding="async" '
                          'width="10" height="10" alt="a">')
    assert result.html == ('<amp-img src="https://cdn.example/a.jpg" srcset="https://cdn.example/'
                           'a.jpg 1x, https://cdn.example/a2.jpg 2x" width="10" height="10" '
                           'layout="intrinsic" alt="a"></amp-img>')
    dropped = {e.attribute for e in result.report if e.action == "removed"}
    assert {"loading", "decoding", "data-src", "data-srcset"} <= dropped


def test_valid_srcset_and_sizes_are_kept_invalid_ones_dropped():
    kept = convert_html('<img src="a.jpg" srcset="a.jpg 300w, b.jpg 600w" '
                        'sizes="(min-width: 600px) 600px, 100vw" width="600" height="400">')
    assert 'srcset="a.jpg 300w, b.jpg 600w" sizes="(min-width: 600px) 600px, 100vw"' in kept.html
    dropped = convert_html('<img src="a.jpg" srcset="a.jpg 300w, b.jpg 300w" sizes="100vw" '
                           'width="600" height="400">')
    assert "srcset" not in dropped.html and "sizes" not in dropped.html
    # the validator's code for a repeated descriptor (one engine: amp/urls.py)
    assert [e.code for e in dropped.report if e.attribute == "srcset"] == ["DUPLICATE_DIMENSION"]


def test_picture_collapses_to_one_amp_img_with_merged_width_candidates():
    result = convert_html(
        '<picture><source media="(min-width: 800px)" sizes="800px" srcset="big.jpg 1600w">'
        '<source media="(min-width: 400px)" sizes="400px" srcset="mid.jpg 800w">'
        '<source type="image/avif" srcset="x.avif 100w">'
        '<img src="small.jpg" alt="Whale" width="400" height="300"></picture>')
    assert result.html == ('<amp-img src="small.jpg" srcset="mid.jpg 800w, big.jpg 1600w" '
                           'sizes="(min-width: 800px) 800px, (min-width: 400px) 400px, 100vw" '
                           'width="400" height="300" layout="intrinsic" disable-inline-width="" '
                           'alt="Whale"></amp-img>')


def test_file_urls_from_word_are_removed_with_a_report():
    source = (MESSY / "word2016-paste-vml-shapes.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert "file:" not in result.html and "<amp-img" not in result.html
    removed = [e for e in result.report if e.element == "img" and e.action == "removed"]
    assert len(removed) == 5
    assert all(e.code == "INVALID_URL_PROTOCOL" for e in removed)


def test_relative_image_urls_are_resolved_against_the_article_url():
    result = convert_html('<img src="../compass1.gif" width="40" height="40" alt="compass">',
                          base_url="https://www.jwz.org/doc/linux.html")
    assert 'src="https://www.jwz.org/compass1.gif"' in result.html


def test_spacer_images_of_table_layouts_are_removed():
    source = (MESSY / "readability-hukumusume-japanese.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert "corner_1.gif" not in result.html
    assert 'alt="よくばりなイヌ"' in result.html  # the real 480x360 illustration stays


def test_data_url_images_stay_images():
    source = (MESSY / "readability-data-url-images.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert 'src="data:image/jpeg;base64,' in result.html  # the 61 KB photograph
    assert "<img" not in result.html
    # its 1x1 GIF lazy-loading placeholder is a pixel, not a 600x400 picture
    assert "R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==" not in result.html


def test_bogus_sizes_from_a_wordpress_export_are_dropped():
    post = json.loads((ROOT / "tests/corpus/raw/wordpress/wp-post-bogus-sizes-wp-caption.json")
                      .read_text(encoding="utf-8"))
    result = convert_html(post["content"]["rendered"])
    assert result.html.count("<amp-img") == 3
    assert 'sizes="https://' not in result.html
    assert [e.code for e in result.report if e.attribute == "sizes"] == ["INVALID_ATTR_VALUE"] * 2


class BatchSizes(KnownSizes):
    """A resolver that can also look many images up at once, as the real one does."""

    def __init__(self, table: dict[str, tuple[int, int]]) -> None:
        super().__init__(table)
        self.batches: list[list[str]] = []

    def sizes(self, srcs):
        self.batches.append(list(srcs))
        return {src: self.table.get(src) for src in srcs}


def test_a_batch_capable_resolver_is_asked_once_for_all_unsized_images():
    resolver = BatchSizes({"https://factorio.example/a.png": (20, 20)})
    source = (MESSY / "readability-tabular-data.html").read_text(encoding="utf-8")
    result = convert_html(source, image_sizes=resolver)
    assert len(resolver.batches) == 1 and len(resolver.batches[0]) >= 190
    assert resolver.asked == []  # every size came from the batch
    assert "<img" not in result.html


def test_data_amp_layout_chooses_the_layout_and_keeps_amp_sizes():
    """An image whose writer knows the page (the article's own blocks) asks for a layout; its
    ``sizes`` is then AMP's layout sizes (the element's width), kept without a srcset."""
    sizes = "(min-width: 48rem) 42rem, 100vw"
    result = convert_html(f'<img src="/hero.jpg" width="1200" height="800" alt="Hero" '
                          f'sizes="{sizes}" data-hero data-amp-layout="responsive">')
    [amp] = _parse(result.html).xpath("//amp-img")
    assert amp.get("layout") == "responsive" and amp.get("sizes") == sizes
    assert amp.get("disable-inline-width") is None and amp.get("data-amp-layout") is None
    assert amp.get("data-hero") == ""
    assert [e.code for e in result.report] == ["CONVERTED_IMAGE"]
    # a measured image keeps its layout; an unmeasured one still gets the fallback box, marked
    unknown = convert_html('<img src="/x.jpg" alt="X" data-amp-layout="responsive">')
    [amp] = _parse(unknown.html).xpath("//amp-img")
    assert (amp.get("width"), amp.get("height"), amp.get("layout")) == ("600", "400",
                                                                          "responsive")
    assert amp.get("class") == "amp-unknown-size"
    # a real 600x400 image with the same layout is not "unknown"
    known = convert_html('<img src="/y.jpg" width="600" height="400" alt="Y" '
                         'data-amp-layout="responsive">')
    assert _parse(known.html).xpath("//amp-img")[0].get("class") is None


def test_an_unsupported_data_amp_layout_is_ignored_and_reported():
    result = convert_html('<img src="/a.jpg" width="30" height="20" alt="A" '
                          'data-amp-layout="container" sizes="100vw">')
    [amp] = _parse(result.html).xpath("//amp-img")
    assert amp.get("layout") == "intrinsic" and amp.get("sizes") is None
    assert ("INVALID_ATTR_VALUE", "data-amp-layout") in [(e.code, e.attribute)
                                                          for e in result.report]


def _parse(html: str):
    import lxml.html

    return lxml.html.fragment_fromstring(html, create_parent="div")


def test_sizes_entries_are_read_from_their_end():
    from amp_publisher.core.amp.layout import valid_sizes

    assert valid_sizes("(min-width: 600px) calc(50vw - 2em), 100vw")
    assert valid_sizes("(max-width: 480px) 0, 1.5em") and valid_sizes("auto, 640PX")
    assert not valid_sizes("600px 100vw") and not valid_sizes("100vw,") and not valid_sizes("5.")
    assert not valid_sizes("calc()") and not valid_sizes("(a) 100vw 5")


@pytest.mark.timeout(60)  # linear now; the quadratic code ran for minutes
def test_hostile_lengths_are_read_in_one_pass():
    """Three regular expressions backtracked over runs of digits or spaces: an 800-digit
    ``sizes`` took 15 s (cubic), a ``width`` or ``style`` width with 100,000 spaces 80–107 s.
    With them back, this test would not end."""
    spaces = " " * 100_000
    result = convert_html(f'<img src="https://cdn.example/a.jpg" width="600" height="400" '
                          f'alt="x" sizes="{"1" * 50_000}">'
                          f'<img src="https://cdn.example/b.jpg" width="1{spaces}x" height="400" '
                          f'alt="y" style="width:1{spaces}x">'
                          f'<img src="https://cdn.example/c.jpg" width="1 {spaces}PX" '
                          f'height="400" alt="">')
    assert "sizes=" not in result.html  # not a list of sizes: dropped, as before
    assert 'src="https://cdn.example/b.jpg"' in result.html
    # "1 … PX" is still read as one pixel: a tracking pixel, removed and reported
    assert "c.jpg" not in result.html
