"""The Sphinx stack the website's extension (_ext/d2l_site/) builds on: the versions that
_ext/constraints.txt pins, and every internal of theirs that the extension subclasses, overrides,
rewrites or reads. When one of these tests fails, a pinned package has moved: read the message,
adapt the named module of _ext/d2l_site/ and its pin together."""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("sphinx_book_theme")
pytest.importorskip("myst_nb")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from d2l_site import labels, vendor  # noqa: E402

SITE_PACKAGES = Path(inspect.getfile(pytest)).parents[1]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "_ext" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"_ext/constraints.txt: {line!r} is not an exact pin (name==version)"
            pins[name] = version
    return pins


def test_installed_versions_are_the_pinned_ones() -> None:
    wrong = {name: (version, importlib.metadata.version(name))
             for name, version in _pins().items()
             if importlib.metadata.version(name) != version}
    assert not wrong, ("installed versions differ from _ext/constraints.txt "
                       f"(pinned, installed): {wrong}; run `make venv` or move the pins")


def test_the_pins_are_installed_by_make_venv() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-c _ext/constraints.txt" in makefile
    assert set(_pins()) >= {"sphinx-book-theme", "pydata-sphinx-theme", "sphinx-thebe", "myst-nb"}


# --- search.py: Sphinx's IndexBuilder and HTML builder, subclassed -------------------------


def test_index_builder_methods_the_search_overrides() -> None:
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.search import IndexBuilder, WordStore

    feed = inspect.signature(IndexBuilder.feed)
    assert list(feed.parameters) == ["self", "docname", "filename", "title", "doctree"]
    assert list(inspect.signature(IndexBuilder._word_collector).parameters) == ["self", "doctree"]
    assert inspect.signature(IndexBuilder._word_collector).return_annotation in (WordStore, "WordStore")
    source = inspect.getsource(IndexBuilder)
    assert "self._mapping" in source and "self._title_mapping" in source
    writing = inspect.getsource(StandaloneHTMLBuilder.prepare_writing)
    assert "self.indexer = IndexBuilder(" in writing and "self.load_indexer(docnames)" in writing


# --- numbering.py: the figure numbers Sphinx assigns, equations included -------------------


def test_figure_and_equation_numbers_come_from_toc_fignumbers() -> None:
    from sphinx.domains.math import MathDomain
    from sphinx.environment.collectors.toctree import TocTreeCollector
    from sphinx.util.math import get_node_equation_number

    assert "env.toc_fignumbers" in inspect.getsource(TocTreeCollector.assign_figure_numbers)
    assert "fignumbers" in inspect.getsource(get_node_equation_number)
    assert "toc_fignumbers" in inspect.getsource(MathDomain.resolve_xref)


# --- status.py, downloads.py, execution.py: MyST-NB and jupyter-cache ----------------------


def test_myst_nb_internals_the_status_page_and_downloads_use() -> None:
    from jupyter_cache.cache.main import JupyterCacheBase
    from myst_nb.core.config import NbParserConfig
    from myst_nb.ext.execution_tables import METADATA_KEY
    from myst_nb.sphinx_ import NbMetadataCollector
    from myst_nb.sphinx_ext import create_mystnb_config, sphinx_setup

    assert isinstance(METADATA_KEY, str)
    assert callable(NbMetadataCollector.set_doc_data) and callable(NbMetadataCollector.get_doc_data)
    assert callable(JupyterCacheBase.merge_match_into_notebook)
    fields = {f for f in NbParserConfig.__dataclass_fields__}
    assert {"execution_mode", "execution_cache_path"} <= fields
    # The execution cache path is read when the builder starts, after config-inited.
    assert 'app.config[f"nb_{name}"]' in inspect.getsource(create_mystnb_config)
    assert '"builder-inited", create_mystnb_config' in inspect.getsource(sphinx_setup)


# --- live.py: sphinx-thebe's inline script ----------------------------------------------------


def test_sphinx_thebe_script_the_live_code_rewrites() -> None:
    import sphinx_thebe

    source = inspect.getsource(sphinx_thebe)
    assert 'const THEBE_JS_URL = \\"{ THEBE_JS_URL }\\"' in source
    assert "predefinedOutput: true" in source


# --- labels.py: the theme's templates, header buttons and catalog strings --------------------


def _theme_file(name: str) -> Path:
    import sphinx_book_theme

    theme = Path(sphinx_book_theme.get_html_theme_path())
    for path in (theme / "components" / name, theme / name):
        if path.is_file():
            return path
    raise AssertionError(f"sphinx-book-theme has no template {name}")


def _docs_body(text: str) -> str:
    m = re.search(r"{% block docs_body %}(.*?){{ super(?:\.super)?\(\) }}", text, re.S)
    assert m, "no docs_body block"
    return m[1]


@pytest.mark.parametrize("name", sorted(labels.TEMPLATE_LABELS))
def test_overridden_templates_match_the_theme_but_for_the_labels(name: str) -> None:
    ours = (labels.TEMPLATES / name).read_text(encoding="utf-8")
    theirs = _theme_file(name).read_text(encoding="utf-8")
    for english, chinese in labels.TEMPLATE_LABELS[name].items():
        assert english in theirs, f"sphinx-book-theme's {name} no longer has {english}"
        theirs = theirs.replace(english, chinese)
    if name == "layout.html":  # only its docs_body block is overridden
        ours, theirs = _docs_body(ours), _docs_body(theirs)
    assert ours == theirs, f"sphinx-book-theme's {name} changed: copy it into templates/ again"


def test_header_buttons_the_labels_name_exist() -> None:
    import sphinx_book_theme.header_buttons as buttons

    source = "".join(inspect.getsource(m) for m in (
        buttons, sys.modules["sphinx_book_theme.header_buttons.launch"],
        sys.modules["sphinx_book_theme.header_buttons.source"]))
    missing = [key for key in labels.HEADER_BUTTONS
               if f'"label": "{key}"' not in source and f'"text": "{key}"' not in source]
    assert not missing, f"sphinx-book-theme has no header button {missing}"
    # The buttons are filled at priority 501, before labels.py (550) sets their Chinese.
    import sphinx_book_theme

    assert '"html-page-context", add_header_buttons, priority=501' in inspect.getsource(sphinx_book_theme)


def test_catalog_strings_are_still_used_by_sphinx_or_the_theme() -> None:
    import pydata_sphinx_theme
    import sphinx

    sources = [p.read_text(encoding="utf-8", errors="replace")
               for root in (Path(pydata_sphinx_theme.__file__).parent / "theme",
                            Path(sphinx.__file__).parent / "writers",
                            Path(sphinx.__file__).parent / "ext")
               for p in root.rglob("*") if p.suffix in (".html", ".py")]
    text = "\n".join(sources)
    unused = [m for m in labels.catalog_labels()
              if f"_('{m}')" not in text and f'_("{m}")' not in text]
    assert not unused, f"no longer translated with _(): {unused}"
    assert all(labels.catalog_labels().values())


def test_booktheme_catalog_fills_what_the_theme_lacks(tmp_path: Path) -> None:
    """The book theme's catalog (domain booktheme) writes the logos' alt texts with
    translate("logo"), which its zh_CN catalog lacks; ours, compiled, gives 图标, and the theme
    still asks for that string."""
    import gettext

    import sphinx_book_theme

    theme = Path(sphinx_book_theme.__file__).parent / "theme" / "sphinx_book_theme"
    assert 'translate("logo")' in (theme / "macros" / "buttons.html").read_text(encoding="utf-8")
    own = gettext.translation("booktheme", theme / "static" / "locales", ["zh_CN"])
    assert own.gettext("logo") == "logo", "the theme translates 'logo' now: drop booktheme.po"
    mo = labels.compile_catalog(labels.BOOKTHEME_CATALOG, tmp_path)
    assert mo == tmp_path / "zh_CN" / "LC_MESSAGES" / "booktheme.mo"
    assert gettext.translation("booktheme", tmp_path, ["zh_CN"]).gettext("logo") == "图标"


def test_config_names_the_catalog_and_the_extension() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]
    assert config["local_extensions"] == {"d2l_site": "_ext"}
    assert config["config"]["locale_dirs"] == [
        labels.CATALOG.parents[2].relative_to(ROOT).as_posix()]


def test_header_buttons_get_their_chinese_in_groups_too() -> None:
    buttons = [{"type": "group", "label": "download-buttons", "tooltip": "Download this page",
                "buttons": [{"label": "download-pdf-button", "tooltip": "列印成 PDF"},
                            {"text": "Binder", "tooltip": "Launch on Binder"},
                            {"label": "someone-elses", "tooltip": "Kept"}]}]
    labels.translate_header_buttons(buttons)
    assert buttons[0]["tooltip"] == "下载本页"
    assert [b["tooltip"] for b in buttons[0]["buttons"]] == ["打印为 PDF", "在 Binder 上打开", "Kept"]


# --- vendor.py: the npm lock file ---------------------------------------------------------------


def test_lock_file_pins_every_asset_with_an_integrity_hash() -> None:
    package = json.loads((vendor.NPM_DIR / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((vendor.NPM_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    versions = vendor.locked_versions()
    assert versions == {a.package: package["dependencies"][a.package] for a in vendor.ASSETS}
    for asset in vendor.ASSETS:
        assert lock["packages"][f"node_modules/{asset.package}"]["integrity"].startswith("sha512-")
    # Everything else in the lock is the empty stand-in, so nothing unchecked is fetched.
    others = {k: v for k, v in lock["packages"].items()
              if k and k.removeprefix("node_modules/") not in versions}
    assert all(v.get("resolved") == "unused" or k == "unused" for k, v in others.items()), others
