"""The book's numbering (_ext/d2l_site/numbering.py) on a small built book: equations, figures
and their references per section, the appendix and the results page numbered apart.

The book is built by Sphinx with MyST and the numbering extension only (a few seconds), in
Chinese as the site is: a section page with labelled equations and a figure, a second section
that refers to them, the results page and two appendix pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")

ROOT = Path(__file__).resolve().parents[1]
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'

PAGES = {
    "index.md": """
        # 书

        ```{toctree}
        chapters/ch03_x/ch03_01_first
        chapters/ch03_x/ch03_02_second
        results
        chapters/appendix/alpha
        chapters/appendix/beta
        ```
        """,
    "chapters/ch03_x/ch03_01_first.md": """
        # 3.1 第一节

        $$y = wx + b$$ (eq-linear)

        未编号的公式：

        $$z = 1$$

        $$\\hat y = \\mathrm{softmax}(o)$$ (eq-softmax)

        ```{figure} ../../dot.svg
        :name: fig-first

        一张图
        ```

        见 {eq}`eq-softmax` 和 {numref}`fig-first`。
        """,
    "chapters/ch03_x/ch03_02_second.md": """
        # 3.2 第二节

        $$l = (y - \\hat y)^2$$ (eq-loss)

        回到 {eq}`eq-linear`。

        ```{figure} ../../dot.svg
        :name: fig-second

        第二节的图
        ```
        """,
    "results.md": """
        # 结果

        ```{figure} dot.svg
        :name: fig-results

        结果的图
        ```

        见 {numref}`fig-appendix-beta`。
        """,
    "chapters/appendix/alpha.md": """
        # 附录甲

        ```{figure} ../../dot.svg
        :name: fig-appendix-alpha

        附录的图
        ```

        $$a = b$$ (eq-appendix)
        """,
    "chapters/appendix/beta.md": """
        # 附录乙

        ```{figure} ../../dot.svg
        :name: fig-appendix-beta

        另一张附录的图
        ```
        """,
}

CONF = """
extensions = ["myst_parser", "d2l_site.numbering"]
myst_enable_extensions = ["dollarmath", "amsmath"]
numfig = True
language = "zh_CN"
exclude_patterns = ["_build"]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("book")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "dot.svg").write_text(SVG, encoding="utf-8")
    for name, text in PAGES.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    out = src / "_build" / "html"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "_ext"),
                                                         os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", "-E",
                           str(src), str(out)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _text(site: Path, page: str) -> str:
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    return re.sub(r"<[^>]+>", "", html)


def _eqnos(site: Path, page: str) -> list[str]:
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    return re.findall(r'<span class="eqno">\(([^)]*)\)', html)


def test_labelled_equations_are_numbered_per_section(site: Path) -> None:
    assert _eqnos(site, "chapters/ch03_x/ch03_01_first") == ["3.1.1", "3.1.2"]
    assert _eqnos(site, "chapters/ch03_x/ch03_02_second") == ["3.2.1"]


def test_eq_references_show_the_section_numbers(site: Path) -> None:
    first = _text(site, "chapters/ch03_x/ch03_01_first")
    assert "见 (3.1.2) 和 图 3.1.1" in re.sub(r"\s+", " ", first)
    second = _text(site, "chapters/ch03_x/ch03_02_second")
    assert "回到 (3.1.1)" in re.sub(r"\s+", " ", second)


def test_figures_are_numbered_per_section(site: Path) -> None:
    assert "图 3.1.1" in _text(site, "chapters/ch03_x/ch03_01_first")
    assert "图 3.2.1" in _text(site, "chapters/ch03_x/ch03_02_second")


def test_appendix_and_results_are_numbered_apart_from_the_chapters(site: Path) -> None:
    alpha = _text(site, "chapters/appendix/alpha")
    beta = _text(site, "chapters/appendix/beta")
    results = _text(site, "results")
    assert "图 A.1.1" in alpha and _eqnos(site, "chapters/appendix/alpha") == ["A.1.1"]
    assert "图 A.2.1" in beta
    assert "图 R.1" in results and "图 A.2.1" in results  # its own, and a reference
    for text in (alpha, beta, results):
        assert not re.search(r"图 1\b", text), "a figure numbered as if it were the only one"
