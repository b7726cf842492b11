/* D2L Companion: search snippets from the page's body (see _ext/interface.py).
 *
 * Sphinx's snippet is the 240 characters around the *last* search term it finds in the page's
 * text; where it finds none (a page found through a synonym, 池化 for 汇聚, or through its title
 * only) it showed the page's first characters: "〈title〉 目录". Each snippet is now the first
 * sentence of the page's prose (paragraphs, list items, captions; not headings, code or
 * formulas) that holds a search term or one of its synonyms (window.D2L_SYNONYMS); else the
 * first line of code that holds one; else, where only a heading holds one (运行书中的代码 is
 * found for "softmax" by its heading "softmax 回归的简洁实现（3.7 节）"), that heading and the
 * first sentence under it; else the page's first sentence of prose.
 */
(() => {
  "use strict";

  const MAX = 200;
  const PROSE = "p, li, dd, figcaption, td, blockquote";
  const CHROME = "script, style, .headerlink, .math, mjx-container, .MathJax, nav, " +
               ".bd-header-article, .bd-sidebar-secondary, " +
               ".prev-next-area, .bd-footer-article, .bd-footer-content, .admonition-title, " +
               ".toctree-wrapper, .d2l-live-message";
  const CODE = "pre";
  const SENTENCE = /[^。！？；!?;]*[。！？；!?;]?/g;

  const termsWithSynonyms = (keywords) => {
    const terms = new Set([...keywords].map((k) => String(k).toLowerCase()).filter(Boolean));
    for (const group of window.D2L_SYNONYMS || []) {
      if (group.some((w) => terms.has(w.toLowerCase()))) group.forEach((w) => terms.add(w.toLowerCase()));
    }
    return [...terms].sort((a, b) => b.length - a.length);
  };

  const HEADINGS = "h2, h3, h4, h5, h6";  // not the page title (the result shows it)
  /** A block's sentences: its text split after 。！？；!?; (one-character pieces dropped). */
  const sentencesOf = (block) => (block.textContent.replace(/\s+/g, " ").trim().match(SENTENCE) || [])
    .map((t) => t.trim()).filter((t) => t.length > 1);

  /** The prose sentences, the code lines and the headings (each with the first sentence of
   *  prose that follows it) of a page, or of its section ``anchor``. */
  const sentences = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    let root = doc.querySelector('[role="main"]') || doc.body;
    if (anchor) root = root.querySelector(anchor) || root;
    root.querySelectorAll(CHROME).forEach((el) => el.remove());
    const blocks = [...root.querySelectorAll(PROSE)].filter((b) => !b.closest(CODE));
    const headings = [...root.querySelectorAll(HEADINGS)].map((h) => {
      const next = blocks.find((b) => h.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return {heading: h.textContent.replace(/\s+/g, " ").trim(), next: next ? sentencesOf(next)[0] || "" : ""};
    });
    root.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach((el) => el.remove());
    const code = [];
    root.querySelectorAll(CODE).forEach((pre) => {
      pre.textContent.split("\n").forEach((line) => { if (line.trim()) code.push(line.trim()); });
      pre.remove();
    });
    const out = [];
    root.querySelectorAll(PROSE).forEach((block) => {
      if (block.querySelector(PROSE)) return;  // its own blocks are visited
      out.push(...sentencesOf(block));
    });
    return {prose: out, code, headings};
  };

  const clip = (sentence, at, length) => {
    if (sentence.length <= MAX) return sentence;
    const start = Math.max(0, Math.min(at - 60, sentence.length - MAX));
    return (start > 0 ? "…" : "") + sentence.substr(start, MAX).trim() +
           (start + MAX < sentence.length ? "…" : "");
  };

  /** The snippet: the first prose sentence with a term, else the first line of code with
   *  one, else the first heading with one followed by the sentence under it, else the first
   *  prose sentence. */
  const summary = (htmlString, keywords, anchor) => {
    const {prose, code, headings} = sentences(htmlString, anchor);
    const terms = termsWithSynonyms(keywords);
    const titled = headings.map((h) => (h.next ? `${h.heading}：${h.next}` : h.heading));
    for (const lines of [prose, code, titled]) {
      for (const s of lines) {
        const lower = s.toLowerCase();
        for (const term of terms) {
          const at = lower.indexOf(term);
          if (at > -1) return clip(s, at, term.length);
        }
      }
    }
    return prose.length ? clip(prose[0], 0, 0) : null;
  };

  const patch = () => {
    if (typeof Search === "undefined" || Search.d2lSummaryPatched) return;
    const original = Search.makeSearchSummary;
    Search.makeSearchSummary = (htmlText, keywords, anchor) => {
      const text = summary(htmlText, keywords, anchor);
      if (text === null) return original(htmlText, keywords, anchor);
      const p = document.createElement("p");
      p.classList.add("context");
      p.textContent = text;
      return p;
    };
    Search.d2lSummaryPatched = true;
  };
  window.d2lSearchSummary = summary;  // for the tests

  patch();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", patch);
})();
