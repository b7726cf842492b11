"""The website on a phone (390 px): wide tables stack, the drawers close on a tap, and
whatever scrolls sideways shows a fade at the edge that has more.

The work is done in the browser by ``site_static/d2l-phone.js`` and ``d2l-phone.css`` (served
from ``_static/``, registered here); ``tests/browser/test_site_phone.py`` checks every page at
390×844. The results table names its models in Chinese where the book does (results.md).
"""

from __future__ import annotations

from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, object]:
    # site_static/ is on html_static_path already (d2l_reader adds it).
    app.add_js_file("d2l-phone.js", defer="defer")
    app.add_css_file("d2l-phone.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
