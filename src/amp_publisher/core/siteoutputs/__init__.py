"""The site around the articles (DESIGN §9): index pages, sitemaps, feeds, as pure functions.

Everything here works on :class:`~amp_publisher.core.siteoutputs.entries.IndexEntry` values (the
facts of one published article that listings need) and returns output objects
(:class:`~amp_publisher.core.siteoutputs.outputs.Output`: key, bytes, Content-Type). No I/O: the
AWS edge (:mod:`amp_publisher.aws.site_index`) reads entries from the manifest table and writes
the outputs; the tests build the same outputs from the final sources and compare.

Modules:
    entries    the index entry, its listings (home, section/…, tag/…, author/…, month/…) and
               the order key of a listing
    outputs    the output object, Content-Types, and the URL path ↔ key mapping
    pages      AMP index pages in the theme, with stable pagination
    sitemaps   sitemap index, monthly sitemaps, the Google News sitemap, robots.txt (lxml)
    feeds      RSS 2.0 and Atom (feedgen), JSON Feed 1.1
    build      every output of a site from its full list of entries (the reference the
               incremental path must equal)
"""
