"""The website on a phone (390×844), in Chinese and its search snippets, checked in a real
browser on every page.

- Every table of a page fits the 390 px column, or stacks (one card per row, each value with
  its column's name); the results table names its models in Chinese where the book does.
- The 目录 drawer (the page's contents) closes when a reader taps one of its entries, and the
  ☰ drawer when a chapter is tapped.
- Code, outputs, formulas and tables that are wider than the column show a fade at the edge
  with more to see; scrolled to the end, the fade moves to the other edge.
- No visible interface text (buttons, menus, tooltips, navigation, footer) is Latin-only, other
  than proper names (Binder, PyTorch, GitHub, …) and file types (.ipynb); the theme mode has a
  default, so no page logs an error.

Run with ``make site-test`` after ``make book-strict`` (or ``make book``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, require_site, toc_pages  # noqa: E402

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DOCNAMES = [doc for _, doc in toc_pages()]

require_site()

from playwright.sync_api import Browser  # noqa: E402

#: Latin words a Chinese interface keeps: names of things, and file types
PROPER_NAMES = {
    "Binder", "PyTorch", "GitHub", "JupyterLab", "Jupyter", "MathJax", "Thebe", "Colab",
    "JupyterHub", "Fashion-MNIST", "d2lcore", "D2L", "PDF", "MIT", "Python", "Jupytext",
    "AlexNet", "VGG", "NiN", "GoogLeNet", "ResNet", "LeNet", "softmax", "DDP", "CUDA", "CPU",
    "GPU", "torchrun", "Markdown", "zip", "CC", "BY", "SA", "Companion", "Dive", "into", "Deep",
    "Learning", "MLP", "ReLU",
}
_FILE_TYPE = re.compile(r"^\.[a-z0-9]+$")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#-]*")


def latin_only(text: str) -> bool:
    """True for interface text that has Latin words but no Chinese, other than proper names,
    file types, numbers and symbols."""
    text = text.strip()
    if not text or re.search(r"[\u3400-\u9fff\uf900-\ufaff]", text) or _FILE_TYPE.match(text):
        return False
    return any(w not in PROPER_NAMES for w in _WORD.findall(text))


def test_latin_only_rule() -> None:
    assert latin_only("Live Code") and latin_only("© Copyright 2026.") and latin_only("Binder logo")
    assert latin_only("D2L Companion contributors") and latin_only("Print to PDF")
    assert not latin_only("Binder 启动") and not latin_only("Binder") and not latin_only(".ipynb")
    assert not latin_only("PyTorch") and not latin_only("7.1 AlexNet") and not latin_only("—")


def _open(browser: Browser, url: str, viewport: dict[str, int]):  # noqa: ANN202
    context = browser.new_context(viewport=viewport, locale="zh-CN",
                                  has_touch=viewport["width"] < 1000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"script error: {e}"))
    page.goto(url, wait_until="load")
    page.evaluate("""async () => {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
      if (window.d2lPhone) window.d2lPhone.update();
    }""")
    return context, page, errors


LAYOUT = r"""() => {
  const column = document.querySelector("article.bd-article") || document.querySelector("article");
  const right = column.getBoundingClientRect().right;
  const visible = (e) => e.offsetParent !== null && getComputedStyle(e).visibility !== "hidden";
  const tables = Array.from(column.querySelectorAll("table")).filter(visible).map((t) => {
    const box = t.getBoundingClientRect();
    const scroller = t.closest(".pst-scrollable-table-container");
    return {text: (t.tHead ? t.tHead.textContent : t.textContent).trim().slice(0, 60),
            right: box.right, stacked: t.classList.contains("d2l-stack"),
            scrolls: !!scroller && scroller.scrollWidth > scroller.clientWidth + 1};
  });
  const scrollers = Array.from(column.querySelectorAll(
      "pre, div.cell_output .output, mjx-container, .pst-scrollable-table-container"))
    .filter(visible)
    .filter((e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowX))
    .filter((e) => e.scrollWidth > e.clientWidth + 1);
  const cues = scrollers.map((e) => {
    const host = e.closest(".d2l-scroll-host");
    if (!host) return {what: e.tagName.toLowerCase() + "." + Array.from(e.classList).join("."),
                       text: e.textContent.trim().slice(0, 40), host: false};
    const after = getComputedStyle(host, "::after");
    const before = getComputedStyle(host, "::before");
    const state = () => ({cue: host.classList.contains("d2l-scroll-cue"),
                          right: getComputedStyle(host, "::after").opacity === "1",
                          left: getComputedStyle(host, "::before").opacity === "1"});
    const start = state();
    e.scrollLeft = e.scrollWidth;
    e.dispatchEvent(new Event("scroll"));
    const end = state();
    e.scrollLeft = 0;
    e.dispatchEvent(new Event("scroll"));
    return {what: e.tagName.toLowerCase() + "." + Array.from(e.classList).join("."),
            text: e.textContent.trim().slice(0, 40), host: true, start, end,
            gradient: after.backgroundImage.includes("gradient") && before.backgroundImage.includes("gradient")};
  });
  return {right, tables, cues, pageWidth: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("docname", DOCNAMES)
def test_phone_tables_fit_and_wide_things_show_a_cue(docname: str, base_url: str,
                                                     browser: Browser) -> None:
    context, page, errors = _open(browser, urljoin(base_url, f"{docname}.html"), PHONE)
    problems: list[str] = []
    try:
        state = page.evaluate(LAYOUT)
        if state["pageWidth"] > PHONE["width"] + 1:
            problems.append(f"the page is {state['pageWidth']} px wide")
        for t in state["tables"]:
            if t["right"] > state["right"] + 1 or t["scrolls"]:
                problems.append(f"table wider than the column ({t['right']:.0f} > "
                                f"{state['right']:.0f} px), not stacked: {t['text']!r}")
        for c in state["cues"]:
            if not (c["host"] and c["gradient"] and c["start"] == {"cue": True, "right": True, "left": False}
                    and c["end"] == {"cue": True, "right": False, "left": True}):
                problems.append(f"no scroll cue on {c['what']} {c['text']!r}: {c}")
        problems += errors
    finally:
        context.close()
    assert not problems, f"{docname} (390 px):\n  " + "\n  ".join(problems)


def test_results_table_stacks_with_chinese_model_names(base_url: str, browser: Browser) -> None:
    context, page, errors = _open(browser, urljoin(base_url, "results.html"), PHONE)
    try:
        table = page.locator("article table").filter(has_text="书中测试精度").first
        assert table.count() == 1, "no results table"
        assert "d2l-stack" in (table.get_attribute("class") or ""), "the results table does not stack"
        models = table.evaluate("t => Array.from(t.tBodies[0].rows).map(r => r.cells[1].textContent)")
        models = [m for m in models if not m.startswith("（尚无结果")]  # a page not run: its file name
        english = [m for m in models if re.search(r"regression|MLP|scratch|concise|dropout|book\)|modern", m)]
        assert not english, f"model names in English where the book says them in Chinese: {english}"
        label = table.evaluate("t => getComputedStyle(t.tBodies[0].rows[0].cells[1], '::before').content")
        assert "模型" in label, f"a stacked cell does not name its column: {label}"
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("docname", DOCNAMES)
def test_phone_drawers_close_on_a_tap(docname: str, base_url: str, browser: Browser) -> None:
    context, page, errors = _open(browser, urljoin(base_url, f"{docname}.html"), PHONE)
    try:
        toggle = page.locator(".secondary-toggle:visible")
        if toggle.count():
            toggle.first.click()
            page.wait_for_function(
                "() => document.querySelector('#pst-secondary-sidebar-modal')?.open === true",
                timeout=5_000)
            entry = page.locator("#pst-secondary-sidebar-modal a.nav-link[href^='#']").last
            entry.tap()
            page.wait_for_function(
                "() => document.querySelector('#pst-secondary-sidebar-modal').open === false",
                timeout=5_000)
        page.locator(".primary-toggle:visible").first.click()
        page.wait_for_function(
            "() => document.querySelector('#pst-primary-sidebar-modal')?.open === true", timeout=5_000)
        with page.expect_navigation(wait_until="load"):
            page.locator("#pst-primary-sidebar-modal a.reference.internal").first.tap()
        assert not page.evaluate(
            "() => document.querySelector('#pst-primary-sidebar-modal')?.open === true")
        assert not errors, errors
    finally:
        context.close()


INTERFACE_TEXT = r"""() => {
  const visible = (e) => {
    for (let n = e; n && n !== document.body; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.display === "none" || s.visibility === "hidden") return false;
    }
    return true;
  };
  // The page's own words (prose, code, formulas, outputs) are not interface.
  const content = "article section p, article section li, article section td, article section th, " +
    "article section h1, article section h2, article section h3, article section h4, " +
    "article section figcaption, article section caption, article section dt, article section dd, " +
    "article section blockquote, article .admonition-title, pre, code, .highlight, mjx-container, " +
    ".math, .cell_output, script, style, noscript, kbd";
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.textContent.trim();
    if (!text || !el || el.closest(content) || !visible(el)) continue;
    found.push({text, where: el.tagName.toLowerCase() + "." + Array.from(el.classList).join(".")});
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], [data-bs-original-title], img[alt]")) {
    if (el.closest("article section") && !el.closest("button, .headerlink, .toggle, .copybtn")) continue;
    for (const a of ["title", "aria-label", "placeholder", "data-bs-original-title", "alt"]) {
      const v = el.getAttribute(a);
      if (v && v.trim()) found.push({text: v.trim(), where: `${el.tagName.toLowerCase()}[${a}]`});
    }
  }
  return found;
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("docname", DOCNAMES)
def test_interface_speaks_chinese(docname: str, viewport: dict[str, int], base_url: str,
                                  browser: Browser) -> None:
    context, page, errors = _open(browser, urljoin(base_url, f"{docname}.html"), viewport)
    try:
        # Open the menus a reader opens: downloads, launch, repository.
        texts = page.evaluate(INTERFACE_TEXT)
        for menu in page.locator(".dropdown-toggle:visible").all():
            menu.click()
            texts += page.evaluate(INTERFACE_TEXT)
            page.keyboard.press("Escape")
        latin = sorted({f"{t['text']!r} ({t['where']})" for t in texts if latin_only(t["text"])})
        problems = [f"Latin-only interface text: {t}" for t in latin]
        problems += [e for e in errors if "theme mode" in e or "script error" in e]
    finally:
        context.close()
    assert not problems, f"{docname}:\n  " + "\n  ".join(problems)


# --- search snippets -------------------------------------------------------------------------

sys.path.insert(0, str(ROOT / "_ext"))
from d2l_site.search import SYNONYMS  # noqa: E402


def _terms(query: str) -> set[str]:
    terms = {query.lower()}
    for group in SYNONYMS:
        if query.lower() in {w.lower() for w in group}:
            terms |= {w.lower() for w in group}
    return terms


# "softmax": 运行书中的代码 holds it only in a heading (its snippet is the heading and the
# sentence under it).
@pytest.mark.parametrize("query", ["池化", "汇聚", "卷积", "步幅", "权重衰减", "暂退法", "梯度",
                                   "批量归一化", "感受野", "softmax"])
def test_search_snippets_are_sentences_with_the_term(query: str, base_url: str,
                                                     browser: Browser) -> None:
    context, page, errors = _open(browser, urljoin(base_url, f"search.html?q={query}"), DESKTOP)
    try:
        page.wait_for_function(
            "() => /\\d/.test(document.querySelector('#search-results p.search-summary')"
            "?.textContent || '')", timeout=60_000)
        # each snippet comes when its page has been fetched, after the count
        page.wait_for_load_state("networkidle")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('#search-results ul.search li'))"
            ".every(li => li.querySelector('p.context'))", timeout=30_000)
        items = page.eval_on_selector_all("#search-results ul.search li", """lis => lis.map(li => ({
            title: li.querySelector('a').textContent.trim(),
            snippet: (li.querySelector('p.context') || {}).textContent || ''}))""")
        assert items, f"nothing found for {query!r}"
        terms = _terms(query)
        bad = []
        for item in items:
            snippet = item["snippet"].strip()
            if not snippet:
                bad.append(f"{item['title']}: no snippet")
            elif re.match(r"^\S.{0,40}\s目录", snippet) or snippet.startswith(item["title"]):
                bad.append(f"{item['title']}: title as the snippet: {snippet[:60]!r}")
            elif not any(t in snippet.lower() for t in terms) and not any(
                    t in item["title"].lower() for t in terms):
                bad.append(f"{item['title']}: snippet without {sorted(terms)}: {snippet[:60]!r}")
        assert not bad, f"{query!r}:\n  " + "\n  ".join(bad)
        assert not errors, errors
    finally:
        context.close()
