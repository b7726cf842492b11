"""The site's own scripts, styles and favicon (``static/``, served under ``_static/``;
``root/favicon.ico`` at the site root, which browsers ask for anyway).

``static/d2l-reader.js`` (every page): working sidebar toggles and search snippets without TeX.
pydata-sphinx-theme 0.17.1 and sphinx-book-theme 1.3.0 both bind their click handlers to the
*first* ``.primary-toggle`` / ``.secondary-toggle`` of the page, the navbar buttons that the
book layout hides; the visible ☰ and 目录 buttons in the article header get no handler (on a
phone they only show a tooltip; on a desktop ☰ does not collapse the sidebar). The script
forwards their clicks to the bound buttons. No pair can be pinned instead: sphinx-book-theme
1.3.0 pins pydata-sphinx-theme==0.17.1, and 1.4.0 needs Sphinx >= 8.2, which Jupyter Book 1
(sphinx~=7.0) does not allow; 1.4.0 still binds to the first button too (pydata-sphinx-theme
issue 2451).

``static/d2l-live.js`` and ``d2l-live.css``: Live Code (see ``live.py``), the whole-book PDF
entry of the download menu (``downloads.py``) and narrow tables.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

HERE = Path(__file__).parent
#: served under _static/ (html_static_path)
STATIC_DIR = HERE / "static"
#: copied to the site root (html_extra_path): /favicon.ico
ROOT_DIR = HERE / "root"


def _on_config_inited(app: Sphinx, config) -> None:  # noqa: ANN001
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]
    config.html_extra_path = [*config.html_extra_path, str(ROOT_DIR)]
    if not config.html_favicon:
        config.html_favicon = str(STATIC_DIR / "favicon.svg")


def setup(app: Sphinx) -> None:
    app.connect("config-inited", _on_config_inited)
    app.add_js_file("d2l-reader.js", defer="defer")
    app.add_js_file("d2l-live.js", defer="defer")
    app.add_css_file("d2l-live.css")
