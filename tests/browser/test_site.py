"""The built website, checked in a real browser (Debian's chromium driven by Playwright).

For every page of _toc.yml, served from ``_build/html`` on 127.0.0.1: the page and all its
assets load (status 200); nothing is requested from any other host (MathJax, fonts and scripts
are served by the site; Binder and Thebe start only on a click); every formula is typeset by
MathJax without errors; every image loads, and the figures of notebooks are SVG; notebook pages
carry a well-formed Binder link to their own source, a Thebe button, and download links for the
executed .ipynb and the .md source; exercise solutions start collapsed; figures without a
caption are listed (failures with ``D2L_REQUIRE_CAPTIONS=1``). Then: previous/next
navigation walks the whole book in _toc.yml order, and the Chinese search finds its words.
One screenshot per chapter goes to ``_build/screenshots``.

Run with ``make site-test`` after ``make book-strict`` (or ``make book``). The browser is
``/usr/bin/chromium`` (``.ci/run`` installs it with apt); Playwright never downloads one.
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, SITE, is_notebook, require_site, source_of, toc_pages  # noqa: E402

SCREENSHOTS = ROOT / "_build" / "screenshots"
# Uncaptioned figures are warnings until every page has its captions; then CI sets this to 1.
REQUIRE_CAPTIONS = os.environ.get("D2L_REQUIRE_CAPTIONS") == "1"
PAGES = toc_pages()
DOCNAMES = [doc for _, doc in PAGES]
# (query, a regex one of the results must match, the chapter it needs in _toc.yml)
SEARCHES = [
    ("线性回归", r"chapters/ch03_[^/]+/ch03_01_", "§3.1"),
    ("卷积", r"chapters/ch06_[^/]+/ch06_", "chapter 6"),
    ("权重衰减", r"chapters/ch04_[^/]+/ch04_05_", "§4.5"),
    ("丢弃法", r"chapters/ch04_[^/]+/ch04_06_", "§4.6"),
    # synonyms (_ext/d2l_site/search.py): the pages say 汇聚 and 暂退法, readers also say 池化…
    ("池化", r"chapters/ch06_[^/]+/ch06_05_", "§6.5"),
    ("汇聚", r"chapters/ch06_[^/]+/ch06_05_", "§6.5"),
    ("暂退法", r"chapters/ch04_[^/]+/ch04_06_", "§4.6"),
    ("批量归一化", r"chapters/ch07_[^/]+/ch07_05_", "§7.5"),
    ("批量规范化", r"chapters/ch07_[^/]+/ch07_05_", "§7.5"),
]

require_site()

from playwright.sync_api import Browser, Page  # noqa: E402

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1000}


class Visit:
    """A page opened in a new tab, with every request and response it caused."""

    def __init__(self, browser: Browser, url: str, viewport: dict[str, int] = DESKTOP) -> None:
        self.context = browser.new_context(viewport=viewport, locale="zh-CN",
                                           has_touch=viewport["width"] < 1000)
        self.page: Page = self.context.new_page()
        self.requests: list[str] = []
        self.bad: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: r.status >= 400 and self.bad.append(f"{r.status} {r.url}"))
        self.page.on("requestfailed", lambda r: self.bad.append(f"failed ({r.failure}) {r.url}"))
        self.page.on("pageerror", lambda e: self.bad.append(f"script error: {e}"))
        self.response = self.page.goto(url, wait_until="load")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests
                if urlparse(u).scheme not in ("data", "blob", "about")
                and urlparse(u).hostname != "127.0.0.1"]

    def close(self) -> None:
        self.context.close()


def _repository() -> tuple[str, str, str]:
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = urlparse(cfg["repository"]["url"])
    org, repo = url.path.strip("/").split("/")[:2]
    return org, repo, cfg["repository"].get("branch", "main")


def _check_binder_link(href: str, docname: str) -> list[str]:
    problems = []
    url = urlparse(href)
    org, repo, branch = _repository()
    if (url.scheme, url.hostname) != ("https", "mybinder.org"):
        problems.append(f"Binder link not on https://mybinder.org: {href}")
    if url.path.rstrip("/") != f"/v2/gh/{org}/{repo}/{branch}":
        problems.append(f"Binder link does not name gh/{org}/{repo}/{branch}: {href}")
    urlpath = parse_qs(url.query).get("urlpath", [""])
    source = source_of(docname).relative_to(ROOT).as_posix()
    if urlpath != [f"lab/tree/{source}"]:
        problems.append(f"Binder link opens {urlpath}, expected lab/tree/{source} (JupyterLab)")
    return problems


MATH_STATE = """async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return null;
  await MathJax.startup.promise;
  const math = Array.from(document.querySelectorAll('.math'));
  return {
    version: MathJax.version,
    math: math.length,
    raw: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80)),
  };
}"""

IMAGES = """() => Array.from(document.images).map(i => ({
  // a lazy image that is not shown (the launch menu's logos) has nothing to load yet
  src: i.getAttribute('src'),
  ok: (i.complete && i.naturalWidth > 0) || (i.loading === 'lazy' && i.getClientRects().length === 0),
  output: !!i.closest('.cell_output'),
  caption: !!(i.closest('figure') && i.closest('figure').querySelector('figcaption')),
}))"""

SOLUTIONS = """() => Array.from(document.querySelectorAll('.solution.dropdown')).map(s => {
  const body = Array.from(s.children).filter(c => !c.classList.contains('admonition-title'));
  return {title: s.querySelector('.admonition-title')?.textContent.trim().slice(0, 60),
          hidden: body.length > 0 && body.every(c => {
            const st = getComputedStyle(c);
            return c.offsetParent === null || st.visibility === 'hidden' ||
                   c.getBoundingClientRect().height === 0;
          })};
})"""


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page(docname: str, base_url: str, browser: Browser) -> None:
    visit = Visit(browser, urljoin(base_url, f"{docname}.html"))
    page, problems = visit.page, []
    try:
        assert visit.response is not None and visit.response.status == 200, (
            f"{docname}.html: status {visit.response and visit.response.status}")
        state = page.evaluate(MATH_STATE)
        has_math = page.locator(".math").count() > 0
        if has_math:
            if state is None:
                problems.append("page has math but MathJax did not load")
            else:
                if not state["version"].startswith("3."):
                    problems.append(f"MathJax {state['version']}, expected 3.x")
                if state["raw"]:
                    problems.append(f"formulas left as raw TeX: {state['raw'][:5]}")
                if state["errors"]:
                    problems.append(f"MathJax errors: {state['errors'][:5]}")
        page.wait_for_load_state("networkidle")
        images = page.evaluate(IMAGES)
        problems += [f"image did not load: {i['src']}" for i in images if not i["ok"]]
        outputs = [i for i in images if i["output"]]
        problems += [f"figure is not SVG: {i['src']}" for i in outputs
                     if not i["src"].endswith(".svg")]
        uncaptioned = [i["src"] for i in outputs if not i["caption"]]
        if uncaptioned:
            message = (f"{len(uncaptioned)} figure(s) without a caption "
                       "(CONTRIBUTING.md: give every figure a caption)")
            if REQUIRE_CAPTIONS:
                problems.append(message)
            else:
                warnings.warn(f"{docname}: {message}", stacklevel=1)
        problems += [f"solution shown, expected a collapsed dropdown: {s['title']}"
                     for s in page.evaluate(SOLUTIONS) if not s["hidden"]]
        if is_notebook(docname):
            problems += _check_notebook_buttons(page, docname, base_url)
        problems += visit.bad
        problems += [f"request left the site: {u}" for u in visit.foreign_requests()]
        _maybe_screenshot(page, docname)
    finally:
        visit.close()
    assert not problems, f"{docname}:\n  " + "\n  ".join(problems)


def _check_notebook_buttons(page: Page, docname: str, base_url: str) -> list[str]:
    problems = []
    binder = page.locator('a[href*="mybinder.org"]')
    if binder.count() != 1:
        problems.append(f"{binder.count()} Binder links, expected 1")
    else:
        problems += _check_binder_link(binder.get_attribute("href") or "", docname)
    if page.locator(".btn-launch-thebe").count() != 1:
        problems.append("no Thebe (live code) button")
    source = source_of(docname)
    for cls, suffix in (("btn-download-notebook-button", ".ipynb"),
                        ("btn-download-source-button", source.suffix)):
        link = page.locator(f"a.{cls}")
        if link.count() != 1:
            problems.append(f"no {suffix} download link")
            continue
        url = urljoin(page.url, link.get_attribute("href") or "")
        resp = page.request.get(url)
        if resp.status != 200 or not url.endswith(suffix):
            problems.append(f"{suffix} download: status {resp.status} for {url}")
        elif suffix == ".ipynb":
            nb = json.loads(resp.body())
            if not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"):
                problems.append(f"the .ipynb download has no outputs: {url}")
        elif re.search(r"\{(?:ref|numref|eq|glue[:\w]*)\}`|^```\{|^\([\w-]+\)=$", resp.text(), re.M):
            # the .md download is the page as plain Markdown (test_site_downloads checks it whole)
            problems.append(f"the .md download of {source.relative_to(ROOT)} still has MyST")
    return problems


def _maybe_screenshot(page: Page, docname: str) -> None:
    """One screenshot per chapter (its first page), and one of the landing page."""
    first_of_part: dict[str | None, str] = {}
    for part, doc in PAGES:
        first_of_part.setdefault(part, doc)
    if docname in first_of_part.values():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{Path(docname).name}.png"))


def test_prev_next_walk_the_book_in_toc_order(base_url: str, browser: Browser) -> None:
    visit = Visit(browser, urljoin(base_url, f"{DOCNAMES[0]}.html"))
    page = visit.page
    try:
        assert page.locator("a.left-prev").count() == 0, "the first page has a previous link"
        for expected in DOCNAMES[1:]:
            page.locator("a.right-next").click()
            page.wait_for_load_state("domcontentloaded")
            assert page.url == urljoin(base_url, f"{expected}.html"), (
                f"next led to {page.url}, expected {expected}.html")
        assert page.locator("a.right-next").count() == 0, "the last page has a next link"
        if len(DOCNAMES) > 1:
            page.locator("a.left-prev").click()
            page.wait_for_load_state("domcontentloaded")
            assert page.url == urljoin(base_url, f"{DOCNAMES[-2]}.html")
        assert not visit.bad, visit.bad
    finally:
        visit.close()


@pytest.mark.parametrize("query,pattern,needs", SEARCHES, ids=[s[0] for s in SEARCHES])
def test_chinese_search(query: str, pattern: str, needs: str, base_url: str,
                        browser: Browser) -> None:
    if not any(re.search(pattern, doc + "_") for doc in DOCNAMES):
        print(f"NOTE: search for {query!r} not checked: {needs} is not in _toc.yml yet")
        pytest.skip(f"{needs} is not in _toc.yml yet")
    visit = Visit(browser, urljoin(base_url, f"search.html?q={query}"))
    try:
        visit.page.wait_for_selector("#search-results p.search-summary", timeout=20_000)
        hrefs = visit.page.eval_on_selector_all("#search-results ul.search li a",
                                                "links => links.map(a => a.href)")
        assert any(re.search(pattern, h) for h in hrefs), (
            f"search for {query!r} found {hrefs}, none matching {pattern}")
        assert not visit.bad and not visit.foreign_requests(), visit.bad + visit.foreign_requests()
    finally:
        visit.close()


def test_mathjax_is_served_by_the_site() -> None:
    """The site carries MathJax 3 outside _static/, and no page points at a CDN for it."""
    assert (SITE / "mathjax" / "tex-mml-chtml.js").is_file()
    assert not list((SITE / "_static").rglob("tex-*chtml*.js")), "MathJax copied into _static/"
    for doc in DOCNAMES:
        html = (SITE / f"{doc}.html").read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in html and "mathjax@3/" not in html, doc


def test_search_index_has_chinese_words() -> None:
    """jieba segments the pages: the index holds Chinese words, not whole sentences."""
    text = (SITE / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(text[text.index("(") + 1: text.rindex(")")])["terms"]
    chinese = [t for t in terms if re.fullmatch(r"[\u4e00-\u9fff]+", t)]
    assert len(chinese) > 100, chinese[:20]
    assert max(map(len, chinese)) <= 12, max(chinese, key=len)  # words, not whole sentences
    # The book's terms are whole words (_ext/d2l_site/jieba_dict.txt), not only their halves, so the text
    # of a page is found, not just its title.
    for query, pattern, _ in SEARCHES:
        if any(re.search(pattern, doc + "_") for doc in DOCNAMES):
            assert query in terms, f"{query!r} is not a word of the search index"


# The status page (mode, every notebook timed, one Chinese table) is checked in
# test_site_live.py::test_status_page_one_table_in_chinese_that_fits.


# --- What readers meet (_ext/d2l_site/): the sidebar panels, the book's numbering, no TeX
# source, alt texts, the favicon, Chinese labels, the feedback links and the search. Each page
# at desktop (1366×900) and phone (390×844) width.

sys.path.insert(0, str(ROOT / "_ext"))
from d2l_site.labels import english_labels  # noqa: E402
from d2l_site.numbering import prefix_of, section_of  # noqa: E402

THEME_LABELS = english_labels()
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

READER_STATE = r"""async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  // TeX source left in the text a reader sees (code and its outputs are not checked).
  const tex = /\$[^$\s][^$]*\$|\\\(|\\\)|\\\[|\\\]|\\(mathcal|mathbf|mathbb|mathsf|frac|lVert|rVert|lvert|rvert|sum|prod|left|right|begin|end|top|ell|lambda|eta|sigma|partial|nabla|sqrt|cdot|times|leftarrow|to|in|approx|exp|log|text|operatorname)(?![A-Za-z])/;
  const skip = "script, style, noscript, pre, code, textarea, mjx-container, .highlight";
  const texText = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (el && !el.closest(skip) && tex.test(n.textContent)) texText.push(n.textContent.trim().slice(0, 80));
  }
  const text = (sel) => Array.from(document.querySelectorAll(sel)).map(e => e.textContent.trim());
  const labels = [];
  document.querySelectorAll("[title], [aria-label], [placeholder], [data-bs-original-title]").forEach(e => {
    if (e.closest("article")) return;  // the page's own content
    for (const a of ["title", "aria-label", "placeholder", "data-bs-original-title"]) {
      const v = e.getAttribute(a);
      if (v) labels.push(v.trim());
    }
  });
  document.querySelectorAll(".btn__text-container, .dropdown-item span, .search-button__default-text").forEach(
    e => labels.push(e.textContent.trim()));
  return {
    texText,
    images: Array.from(document.images).map(i => ({src: i.getAttribute("src"), alt: i.getAttribute("alt")})),
    autoIds: Array.from(document.querySelectorAll("section[id]")).map(s => s.id).filter(id => /^id\d+$/.test(id)),
    icons: Array.from(document.querySelectorAll("link[rel~=icon]")).map(l => l.href),
    figures: text("figcaption .caption-number"),
    tables: text("table > caption .caption-number"),
    listings: text(".code-block-caption .caption-number"),
    exercises: Array.from(document.querySelectorAll(".exercise > .admonition-title")).map(
      e => e.textContent.trim()),
    equations: text("div.math .eqno").map(t => t.replace(/[#¶]\s*$/, "").trim()),
    refs: Array.from(document.querySelectorAll("article a.reference.internal")).map(
      a => ({text: a.textContent.trim(), href: a.href})),
    labels,
    edit: Array.from(document.querySelectorAll("a[href*='/edit/']")).map(a => a.href),
    issues: Array.from(document.querySelectorAll("a[href*='/issues/new']")).map(a => a.href),
  };
}"""

# the number of a figure, table, code block or exercise as the text shows it (3.1.2, A.1.1, R.1)
_NUMBER = re.compile(r"^(?:图|表|列表|代码|练习)\s*([A-Z0-9]+(?:\.\d+)*)")
# an equation's number, in its label or in an {eq} reference: (3.1.2)
_EQUATION = re.compile(r"^\(([A-Z0-9]+(?:\.\d+)*)\)$")
_SECTION_REF = re.compile(r"^(\d+)\.(\d+) 节$")
_ENGLISH = re.compile(r"^[A-Za-z][A-Za-z .,'’…-]{3,}$")
_TEX_IN_SNIPPET = re.compile(r"\\[()\[\]]|\\(mathbb|mathbf|mathcal|mathsf|frac|lVert|rVert|lvert|sum|"
                             r"left|right|ell|lambda|top|sqrt|cdot|times|partial|nabla)(?![A-Za-z])")
_ENGLISH_OK = {"GitHub", "Binder", "JupyterLab", "Live Code", "Jupyter", "MathJax", "Thebe"}


def _numbers_per_section(kind: str, texts: list[str], prefix: tuple, pattern: re.Pattern = _NUMBER,
                         ) -> list[str]:
    """Numbers in page order must be c.s.1, c.s.2, … for the page's section c.s (A.i.1… on the
    i-th appendix page, R.1… on the results page, 1, 2… elsewhere)."""
    found = [m[1] if (m := pattern.match(t)) else t for t in texts]
    expected = [".".join(map(str, (*prefix, k))) for k in range(1, len(texts) + 1)]
    return [] if found == expected else [f"{kind} numbered {found}, expected {expected}"]


def _docname_of(url: str, base_url: str) -> str:
    path = urlparse(url).path
    return path[len(urlparse(base_url).path):].removesuffix(".html")


@pytest.mark.parametrize("docname", DOCNAMES)
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_page_for_readers(width: str, docname: str, base_url: str, browser: Browser) -> None:
    visit = Visit(browser, urljoin(base_url, f"{docname}.html"), VIEWPORTS[width])
    page, problems = visit.page, []
    try:
        state = page.evaluate(READER_STATE)
        problems += [f"TeX source in the text: {t!r}" for t in state["texText"][:5]]
        for img in state["images"]:
            alt, name = (img["alt"] or "").strip(), Path(urlparse(img["src"]).path).name
            if not alt or name in alt or re.search(r"\.(svg|png|jpe?g|gif)$", alt):
                problems.append(f"image {name}: alt text {alt!r} is not a description")
        problems += [f"section anchor without a name: #{i}" for i in state["autoIds"]]
        if not state["icons"]:
            problems.append("no <link rel=icon>")
        for href in [*state["icons"], urljoin(base_url, "favicon.ico")]:
            if page.request.get(href).status != 200:
                problems.append(f"favicon missing: {href}")
        prefix = prefix_of(docname, DOCNAMES)
        problems += _numbers_per_section("figures", state["figures"], prefix)
        problems += _numbers_per_section("tables", state["tables"], prefix)
        problems += _numbers_per_section("code blocks", state["listings"], prefix)
        problems += _numbers_per_section("exercises", state["exercises"], prefix)
        problems += _numbers_per_section("equations", state["equations"], prefix, _EQUATION)
        for ref in state["refs"]:
            target = _docname_of(ref["href"], base_url)
            if m := _SECTION_REF.match(ref["text"]):
                if section_of(target) != (int(m[1]), int(m[2])):
                    problems.append(f"{ref['text']!r} links to {target}")
            elif m := (_NUMBER.match(ref["text"]) or _EQUATION.match(ref["text"])):
                target_prefix = ".".join(map(str, prefix_of(target, DOCNAMES)))
                if not m[1].startswith(f"{target_prefix}." if target_prefix else ""):
                    problems.append(f"{ref['text']!r} links to {ref['href']}")
                elif target == docname:  # the thing linked carries the same number
                    anchor = urlparse(ref["href"]).fragment
                    shown = page.evaluate(
                        """id => { const e = document.getElementById(id);
                           const n = e && (e.querySelector('.caption-number') ||
                                           e.querySelector('.admonition-title') ||
                                           e.querySelector('.eqno'));
                           return n ? n.textContent : null; }""", anchor)
                    if shown is None or m[1] not in shown:
                        problems.append(f"{ref['text']!r} links to #{anchor}, numbered {shown!r}")
        english = sorted({v for v in state["labels"]
                          if v in THEME_LABELS or "列印" in v
                          or (_ENGLISH.match(v) and v not in _ENGLISH_OK)})
        problems += [f"label not in Simplified Chinese: {v!r}" for v in english]
        org, repo, branch = _repository()
        source = source_of(docname).relative_to(ROOT).as_posix()
        edit = f"https://github.com/{org}/{repo}/edit/{branch}/{source}"
        if edit not in state["edit"]:
            problems.append(f"no edit link {edit}: {state['edit']}")
        if not any(h.startswith(f"https://github.com/{org}/{repo}/issues/new")
                   for h in state["issues"]):
            problems.append(f"no issue link to {org}/{repo}: {state['issues']}")
        problems += visit.bad
        problems += [f"request left the site: {u}" for u in visit.foreign_requests()]
    finally:
        visit.close()
    assert not problems, f"{docname} ({width}):\n  " + "\n  ".join(problems)


def _open_panel(page: Page, toggle: str, dialog: str) -> None:
    page.locator(f"{toggle}:visible").first.click()
    page.wait_for_function(f"() => document.querySelector('{dialog}')?.open === true",
                           timeout=5_000)


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["390px", "800px"])
def test_panels_open_on_phones_and_tablets(viewport: dict[str, int], base_url: str,
                                           browser: Browser) -> None:
    """☰ opens the chapter list and 目录 the page's contents, and their links lead on."""
    chapters = [d for d in DOCNAMES if section_of(d)]
    here, there = chapters[1], chapters[2]
    visit = Visit(browser, urljoin(base_url, f"{here}.html"), viewport)
    page = visit.page
    try:
        _open_panel(page, ".primary-toggle", "#pst-primary-sidebar-modal")
        link = page.locator(f"#pst-primary-sidebar-modal a[href$='{Path(there).name}.html']").first
        assert link.is_visible(), f"{there} is not listed in the open chapter list"
        link.click()
        page.wait_for_url(urljoin(base_url, f"{there}.html"))

        _open_panel(page, ".secondary-toggle", "#pst-secondary-sidebar-modal")
        entries = page.locator("#pst-secondary-sidebar-modal a.nav-link[href^='#']")
        assert entries.count() >= 2, "the page's contents panel is empty"
        entry = entries.nth(1)
        anchor = (entry.get_attribute("href") or "")[1:]
        assert anchor and not re.fullmatch(r"id\d+", anchor), f"anchor without a name: #{anchor}"
        entry.click()
        page.wait_for_function("a => decodeURIComponent(location.hash) === '#' + a", arg=anchor)
        assert page.locator(f"[id='{anchor}']").count() == 1
        assert not visit.bad, visit.bad
    finally:
        visit.close()


def test_menu_button_collapses_the_sidebar_on_desktop(base_url: str, browser: Browser) -> None:
    visit = Visit(browser, urljoin(base_url, f"{DOCNAMES[1]}.html"), DESKTOP)
    page = visit.page
    shown = "() => getComputedStyle(document.querySelector('#pst-primary-sidebar')).visibility"
    try:
        assert page.evaluate(shown) == "visible"
        page.locator(".primary-toggle:visible").first.click()
        page.wait_for_function(f"() => ({shown})() === 'hidden'", timeout=5_000)
        assert not page.evaluate("() => document.querySelector('#pst-primary-sidebar-modal').open")
        page.locator(".primary-toggle:visible").first.click()
        page.wait_for_function(f"() => ({shown})() === 'visible'", timeout=5_000)
        assert not visit.bad, visit.bad
    finally:
        visit.close()


@pytest.mark.parametrize("query", ["池化", "步幅", "感受野", "梯度"])
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_search_results_for_readers(width: str, query: str, base_url: str,
                                    browser: Browser) -> None:
    """The landing and status pages do not match every query, and snippets carry no TeX."""
    visit = Visit(browser, urljoin(base_url, f"search.html?q={query}"), VIEWPORTS[width])
    page = visit.page
    try:
        # the summary gets its number when the last result is shown
        page.wait_for_function(
            "() => /\\d/.test(document.querySelector('#search-results p.search-summary')"
            "?.textContent || '')", timeout=30_000)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a",
                                          "links => links.map(a => a.href)")
        assert hrefs, f"nothing found for {query!r}"
        found = {_docname_of(h.split("#")[0].split("?")[0], base_url) for h in hrefs}
        assert not found & {DOCNAMES[0], "status"}, f"{query!r} matched {sorted(found)}"
        snippets = page.eval_on_selector_all("#search-results p.context",
                                             "ps => ps.map(p => p.textContent)")
        assert snippets, f"no snippets for {query!r}"
        tex = [t for t in snippets if _TEX_IN_SNIPPET.search(t)]
        assert not tex, f"TeX in the snippets: {tex[:3]}"
        assert not visit.bad and not visit.foreign_requests(), visit.bad + visit.foreign_requests()
    finally:
        visit.close()
