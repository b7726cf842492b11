"""The D2L Companion website's Sphinx extension (``_config.yml``: ``local_extensions``), one job
per module:

=============  ==================================================================================
``execution``  one execution cache per mode (quick, full)
``vendor``     MathJax 3 and Thebe fetched with npm and served by the site itself
``numbering``  the book's per-section numbers (图 6.2.1, 练习 6.6.3)
``anchors``    named anchors for Chinese section headings
``alt_texts``  an alt text for every image
``search``     the Chinese search: the book's terms, synonyms, no TeX, no build report
``labels``     the theme's labels in Simplified Chinese
``live``       Live Code (Thebe) from the site, with a Chinese message when Binder is away
``downloads``  the download menu: notebooks with their outputs, the whole book as a PDF
``status``     the status page's build-times table; the generated pages re-read every build
``notebooks``  plain downloadable notebooks (references, glue, directives resolved) and their zip
``interface``  the phone layout, the menus and footer in Chinese, the theme mode, search snippets
``assets``     the site's own scripts, styles and favicon
``weight``     lighter pages: FontAwesome cut to the icons in use, fewer and bundled requests
=============  ==================================================================================
"""

from __future__ import annotations

from sphinx.application import Sphinx

from . import (
    alt_texts,
    anchors,
    assets,
    downloads,
    execution,
    interface,
    labels,
    live,
    notebooks,
    numbering,
    search,
    status,
    vendor,
    weight,
)

MODULES = (execution, vendor, numbering, anchors, alt_texts, search, labels, live, downloads, status,
           notebooks, interface, assets, weight)


def setup(app: Sphinx) -> dict[str, object]:
    for module in MODULES:
        module.setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
