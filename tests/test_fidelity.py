"""Right for readers, not only valid (issue 14 items 3 and 4): mobile fit of body CSS, clipboard
wrappers, math readable, contact data not published; on corpus pages and built inputs."""

from __future__ import annotations

import json
from pathlib import Path

from amp_publisher.core.conversion import convert_html

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "tests/corpus/raw"


def _codes(result):
    return [e.code for e in result.report]


# --------------------------------------------------------------------------- mobile fit


def test_fixed_width_figure_no_longer_widens_the_page():
    result = convert_html('<figure style="width: 840px"><img src="https://x.test/a.jpg" '
                          'width="840" height="560" alt="A"><figcaption>C</figcaption></figure>')
    assert "max-width:840px" in result.css
    assert "width:840px" not in result.css.replace("max-width:840px", "")
    assert "MOBILE_FIT" in _codes(result)


def test_fixed_heights_and_min_widths_are_dropped_percentages_kept():
    result = convert_html('<div style="height:300px;min-width:700px;width:50%">x</div>')
    assert result.css.endswith("{width:50%}")


def test_wordpress_caption_width_becomes_a_max_width():
    posts = json.loads((RAW / "wordpress/wp-posts-collection-category-7.json").read_text())
    html = next(p["content"]["rendered"] for p in posts if "wp-caption" in
                p["content"]["rendered"])
    result = convert_html(html)
    assert "max-width:" in result.css
    assert not any(part.startswith("width:") and part.endswith("px")
                   for part in result.css.replace("{", ";").replace("}", ";").split(";"))


def test_pasted_stylesheet_widths_fit_too():
    result = convert_html("<style>.wrap{width:960px;font-family:Georgia}</style>"
                          '<div class="wrap">x</div>')
    assert result.css == ".wrap{max-width:960px}"


def test_tables_are_wrapped_to_scroll_inside_the_column():
    source = (RAW / "messy-html/readability-tabular-data.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert result.html.count('<div class="table"><table') == result.html.count("<table") - \
        result.html.count("<td><table")


def test_google_docs_paste_loses_its_wrapper_and_default_styles():
    paste = ('<meta charset="utf-8"><b style="font-weight:normal;" '
             'id="docs-internal-guid-5f1c7b2a-7fff-1a2b-3c4d-5e6f7a8b9c0d">'
             + '<p dir="ltr" style="line-height:1.38;margin-top:0pt;margin-bottom:0pt;">'
             '<span style="font-size:11pt;font-family:Arial;color:#000000;background-color:'
             'transparent;font-weight:400;font-style:normal;font-variant:normal;text-decoration:'
             'none;vertical-align:baseline;white-space:pre-wrap;">Plain words</span>'
             '<span style="font-size:11pt;font-family:Arial;color:#000000;background-color:'
             'transparent;font-weight:700;font-style:normal;font-variant:normal;text-decoration:'
             'none;vertical-align:baseline;white-space:pre-wrap;"> and bold ones.</span></p>' * 50
             + "</b>")
    result = convert_html(paste)
    assert not result.html.startswith("<b")
    assert "docs-internal-guid" not in result.html
    # 150 style attributes collapse into one rule: the bold
    assert result.css == ".amp-s-" + result.css.split(".amp-s-")[1]
    assert result.css.endswith("{font-weight:700}")
    assert "Plain words" in result.html


def test_word_paste_loses_o_p_and_mso_classes():
    source = (RAW / "messy-html/word2016-paste-vml-shapes.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert "MsoNormal" not in result.html
    html = result.html.lower()
    assert "o:p" not in html and "u0003a" not in html and "<o_p" not in html
    assert "CLIPBOARD_WRAPPER" in _codes(result)


# --------------------------------------------------------------------------- meaning kept


def test_math_with_a_tex_annotation_becomes_amp_mathml():
    result = convert_html(
        '<p>Energy: <math display="inline"><semantics><mrow><mi>E</mi><mo>=</mo><mi>m</mi>'
        '<msup><mi>c</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">'
        "E = mc^2</annotation></semantics></math>.</p>")
    assert result.html == ('<p>Energy: <amp-mathml layout="container" '
                           'data-formula="\\(E = mc^2\\)" inline=""></amp-mathml>.</p>')
    assert result.extensions == {"amp-mathml"}


def test_block_presentation_math_is_converted_to_tex():
    result = convert_html('<math display="block"><mi>x</mi><mo>=</mo><mfrac><mrow><mo>−</mo>'
                          "<mi>b</mi><mo>±</mo><msqrt><mi>Δ</mi></msqrt></mrow><mrow><mn>2</mn>"
                          "<mi>a</mi></mrow></mfrac></math>")
    assert 'data-formula="\\[x=\\frac{-b\\pm\\sqrt{\\Delta}}{2a}\\]"' in result.html
    assert " inline" not in result.html


def test_math_readable_as_linear_text_when_it_cannot_be_converted():
    result = convert_html("<p>Area <math><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo>"
                          "<menclose notation=\"box\"><mi>y</mi></menclose></math></p>")
    assert result.html == '<p>Area <span class="math">x^2+y</span></p>'
    entry = next(e for e in result.report if e.code == "MATH_AS_TEXT")
    assert "x^2+y" in entry.detail


def test_math_output_passes_the_validator():
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    body = ('<p>Then <math><msup><mi>x</mi><mn>2</mn></msup></math>.</p><math display="block">'
            '<annotation encoding="application/x-tex">\\int_0^1 x\\,dx</annotation></math>')
    site = SiteConfig.model_validate(json.loads((ROOT / "events/site.json").read_text()))
    page = render(parse_article({"headline": "Math", "slug": "math", "body_html": body,
                                 "published": "2026-06-25T09:00:00Z"}),
                  site, source_key="articles/math.json")
    result = validate(page.html)
    assert result.passed, [(e.code, e.message) for e in result.errors]
    assert "amp-mathml" in page.extensions


def test_email_not_published_from_an_attribution():
    result = convert_html("<blockquote><p>Quote.</p><cite>Jane Roe, <email>jane.roe@example."
                          "com</email>, <phone>+1 555 0100</phone></cite></blockquote>")
    assert "jane.roe@example.com" not in result.html and "555" not in result.html
    assert "Jane Roe" in result.html
    removed = [e for e in result.report if e.code == "CONTACT_DATA"]
    assert [e.element for e in removed] == ["email", "phone"]
    assert removed[0].removed_text == "jane.roe@example.com"


def test_address_in_a_caption_is_dropped_but_other_addresses_stay():
    result = convert_html("<figure><figcaption>Photo: A. Smith <address>12 High St</address>"
                          "</figcaption></figure><address>Newsroom, 1 Main St</address>")
    assert "12 High St" not in result.html
    assert "Newsroom, 1 Main St" in result.html


# --------------------------------------------------------------------------- whole pages


PORTAL = ("<!DOCTYPE html><html><head><title>Portal</title><script src=/app.js></script></head>"
          "<body><header><a href=/>Daily Portal</a><form role=search action=/s><input "
          "type=search name=q placeholder='Search the portal'></form></header><nav><ul>"
          "<li><a href=/news>News desk</a></li><li><a href=/sport>Sport desk</a></li></ul></nav>"
          "<div class=ad-slot><iframe src='https://ad.doubleclick.net/slot'></iframe>Advertisement"
          "</div><main><article><h1>Harbour bridge reopens</h1>"
          + "".join(f"<p>Paragraph {i} of the story: engineers finished the repairs to the "
                    "harbour bridge ahead of schedule, the council said on Tuesday.</p>"
                    for i in range(8))
          + "</article></main><aside>Most read: celebrity gossip</aside><footer>Copyright "
          "Daily Portal Ltd</footer></body></html>")


def _render(body_html: str, **site_settings):
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate({**json.loads((ROOT / "events/site.json").read_text()),
                                      **site_settings})
    article = parse_article({"headline": "Harbour bridge reopens", "slug": "bridge",
                             "published": "2026-06-25T09:00:00Z", "body_html": body_html})
    return render(article, site, source_key="articles/bridge.json")


def test_extraction_finds_the_article_in_a_whole_portal_page():
    from amp_publisher.core.amp.validator import validate

    page = _render(PORTAL)
    assert "Paragraph 7 of the story" in page.html
    for chrome in ("News desk", "Search the portal", "Advertisement", "celebrity gossip",
                   "Copyright Daily Portal"):
        assert chrome not in page.html, chrome
    entries = [e for e in page.report if e.code == "EXTRACTED_ARTICLE"]
    assert entries and "a complete HTML document" in entries[0].detail
    left_out = " ".join(e.removed_text for e in entries)
    assert "News desk" in left_out and "celebrity gossip" in left_out
    assert validate(page.html).passed


def test_page_chrome_in_a_body_fragment_is_extracted_too():
    fragment = PORTAL.split("<body>")[1].split("</body>")[0]
    page = _render(fragment)
    assert "Sport desk" not in page.html and "Paragraph 3 of the story" in page.html
    assert "page chrome: navigation, site header" in next(
        e.detail for e in page.report if e.code == "EXTRACTED_ARTICLE")


def test_a_setting_turns_extraction_off():
    page = _render(PORTAL, extract_whole_pages=False)
    assert "News desk" in page.html and "Paragraph 7 of the story" in page.html
    assert "EXTRACTED_ARTICLE" not in [e.code for e in page.report]


def test_an_article_body_with_one_footer_is_not_a_whole_page():
    page = _render("<p>Story text.</p><blockquote><p>Quote.</p><footer>Someone</footer>"
                   "</blockquote>")
    assert "Someone" in page.html
    assert "EXTRACTED_ARTICLE" not in [e.code for e in page.report]


# --------------------------------------------------------------------------- lazy images


CLOUDINARY = "https://res.cloudinary.com/demo/image/upload/c_fill,f_auto,q_80,w_{w}/v1/news/p{i}.jpg"


def _lazy_gallery(n: int) -> str:
    return "".join(
        f'<figure><img class="lazyload" alt="Photo {i}" data-srcset="'
        f'{CLOUDINARY.format(w=320, i=i)} 320w, {CLOUDINARY.format(w=640, i=i)} 640w, '
        f'{CLOUDINARY.format(w=1280, i=i)} 1280w" data-sizes="auto"></figure>' for i in range(n))


def test_lazy_images_with_cloudinary_srcsets_are_kept():
    # 56 pictures with only data-srcset, URLs with commas: none may vanish
    result = convert_html(_lazy_gallery(56))
    assert result.html.count("<amp-img") == 56
    for i in (0, 55):
        assert f"/v1/news/p{i}.jpg" in result.html
    assert "MANDATORY_ATTR_MISSING" not in _codes(result)
    # the HTML standard's srcset parsing: commas inside the URLs do not split candidates
    assert (f'srcset="{CLOUDINARY.format(w=320, i=7)} 320w, {CLOUDINARY.format(w=640, i=7)} 640w, '
            f'{CLOUDINARY.format(w=1280, i=7)} 1280w"') in result.html
    assert "INVALID_ATTR_VALUE" not in _codes(result)


def test_the_kinja_lazy_image_keeps_its_srcset():
    source = (RAW / "messy-html/readability-data-url-images.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert "c_fill,f_auto,fl_progressive,g_center,h_80,q_80,w_80/18zu12g5xzyxojpg.jpg 80w" in \
        result.html


def test_a_dropped_picture_is_named_in_the_report():
    result = convert_html('<img class="lazyload" data-src="javascript:void(0)" alt="Harbour">')
    entry = next(e for e in result.report if e.action == "removed" and e.element == "img"
                 and e.attribute is None)
    assert "'Harbour'" in entry.detail


def test_noscript_fallback_of_a_lazy_image_is_the_image_published():
    result = convert_html('<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BA'
                          'EKAAEALAAAAAABAAEAAAICTAEAOw==" data-lazy-src="https://x.test/a.jpg" '
                          'width="800" height="600" alt="Harbour"><noscript><img '
                          'src="https://x.test/a.jpg" width="800" height="600" alt="Harbour">'
                          "</noscript>")
    assert result.html.count("<amp-img") == 1 and 'src="https://x.test/a.jpg"' in result.html
