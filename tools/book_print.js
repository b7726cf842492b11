// The whole-book PDF: what tools/book_pdf.py runs in each page before Chromium prints it.
// PREPARE (screen layout): typeset maths, loaded fonts, solutions and hidden code opened, no
// toggles, status marks in words, and a named PDF destination for every id (Chromium writes
// one for each id that a link of the same page points to, so each id gets a hidden link).
// FIT (print layout, at the printed text width): whatever is still wider than the text width
// (a display formula, a table, an output) is scaled down to fit.
// Each is an arrow function for Playwright's page.evaluate; they are split at the marker line.
async () => {
  if (document.querySelector('script[src*="mathjax"]')) {
    for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  await document.fonts.ready;
  // Solutions and collapsed code are printed open, without their toggle lines.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => { e.classList.remove('toggle-hidden'); });
  document.querySelectorAll('button.toggle-button, .toggle-hidden-hint').forEach(b => b.remove());
  // Hidden code (hide-input) is printed as plain code: its details box is unwrapped (a details
  // element without its summary would print the browser's own "Details" line instead).
  document.querySelectorAll('details.hide').forEach(d => {
    d.querySelectorAll(':scope > summary').forEach(s => s.remove());
    d.replaceWith(...d.childNodes);
  });
  // Emoji marks print as empty boxes where no colour-emoji font is installed: words instead.
  const words = {'✅': '通过', '✔️': '通过', '✔': '通过', '❌': '出错', '✖': '出错',
                 '⚠️': '注意', '⚠': '注意', '⏳': '进行中'};
  const marks = new RegExp(Object.keys(words).map(k => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (marks.test(n.nodeValue)) n.nodeValue = n.nodeValue.replace(marks, m => words[m]);
    marks.lastIndex = 0;
  }
  // A named destination for every id of the article, so links from other pages can land on it.
  const anchors = document.createElement('div');
  anchors.style.display = 'none';
  anchors.id = 'book-pdf-anchors';
  const root = document.querySelector('main') || document.body;
  root.querySelectorAll('[id]').forEach(el => {
    const a = document.createElement('a');
    a.href = '#' + encodeURIComponent(el.id);
    anchors.appendChild(a);
  });
  document.body.appendChild(anchors);
  const h1 = document.querySelector('main h1, article h1, h1');
  return h1 ? h1.textContent.replace(/[#¶]\s*$/, '').trim() : document.title;
}
// ---- FIT ----
() => {
  const article = document.querySelector('article') || document.querySelector('main') || document.body;
  const right = Math.min(article.getBoundingClientRect().right, document.documentElement.clientWidth);
  let fitted = 0;
  const shrink = (el) => {
    const box = el.getBoundingClientRect();
    const avail = right - box.left;
    const need = Math.max(el.scrollWidth, box.width);
    if (avail > 0 && need > avail + 0.5) {
      el.style.zoom = String(Math.floor((avail / need) * 1000) / 1000);
      fitted += 1;
    }
  };
  // Display formulas: MathJax draws the whole formula in an mjx-math element. A numbered one
  // sits in Sphinx's div.math beside its number (span.eqno), laid out row-reverse: the number
  // keeps the right edge and a formula too wide runs out past the LEFT margin. So the formula
  // shrinks until it and its number lie between both margins (the number keeps its size; the
  // layout is not linear in the zoom, hence a few passes).
  const left = Math.max(article.getBoundingClientRect().left, 0);
  document.querySelectorAll('mjx-container[display="true"]').forEach(c => {
    const host = c.parentElement && c.parentElement.classList.contains('math') ? c.parentElement : null;
    for (let pass = 0; pass < 4; pass++) {
      const parts = [c, c.querySelector('mjx-math') || c];
      if (host) parts.push(...[...host.children].filter(k => k !== c));
      let lo = Infinity, hi = -Infinity;
      parts.forEach(k => {
        const b = k.getBoundingClientRect();
        if (b.width > 0) { lo = Math.min(lo, b.left); hi = Math.max(hi, b.right); }
      });
      const over = Math.max(0, left - lo) + Math.max(0, hi - right);
      if (over <= 0.5) break;
      const width = Math.max(c.getBoundingClientRect().width, c.scrollWidth);
      const zoom = Number(c.style.zoom || 1) * Math.max(width - over - 1, 1) / width;
      c.style.zoom = String(Math.floor(zoom * 1000) / 1000);
      if (pass === 0) fitted += 1;
    }
  });
  // Tables (the page's and those in outputs), then anything else still too wide.
  article.querySelectorAll('table').forEach(shrink);
  article.querySelectorAll('pre, img, svg, .cell_output > *, .math').forEach(el => {
    if (el.getBoundingClientRect().right > right + 0.5) shrink(el);
  });
  return fitted;
}
