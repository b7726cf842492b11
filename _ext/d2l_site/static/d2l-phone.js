/* D2L Companion on a phone (served by the site; see _ext/interface.py).
 *
 * 1. Wide tables stack. A table wider than the text column (the results table has eight
 *    columns) gets the class d2l-stack: each row becomes a card, each cell one line with its
 *    column's header before it (data-label). Re-checked when the window changes size.
 * 2. The drawers close on a tap. pydata-sphinx-theme opens ☰ (chapters) and 目录 (this page)
 *    as <dialog>s; a tap on a link inside 目录 scrolled the page behind the open drawer, which
 *    kept covering three quarters of it. A tap on any link in a drawer now closes it.
 * 3. Sideways scrolling has a cue. Code, outputs, formulas and tables that are wider than the
 *    column get a fade at the edge that has more to show (d2l-scroll-cue with
 *    d2l-more-left / d2l-more-right on a non-scrolling host around them).
 */
(() => {
  "use strict";

  // -- 1. tables --------------------------------------------------------------------------
  const TABLES = "article table";
  const labelCells = (table) => {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) return false;
    const names = Array.from(head.cells).map((c) => c.textContent.trim());
    Array.from(table.tBodies).forEach((body) => Array.from(body.rows).forEach((row) => {
      Array.from(row.cells).forEach((cell, i) => {
        if (names[i] && !cell.dataset.label) cell.dataset.label = names[i];
      });
    }));
    return true;
  };
  const stackTables = () => {
    document.querySelectorAll(TABLES).forEach((table) => {
      if (!labelCells(table)) return;
      table.classList.remove("d2l-stack");
      const host = table.closest(".pst-scrollable-table-container, .table-wrapper") || table.parentElement;
      if (table.scrollWidth > host.clientWidth + 1) table.classList.add("d2l-stack");
    });
  };

  // -- 2. drawers -------------------------------------------------------------------------
  const DRAWERS = "#pst-primary-sidebar-modal, #pst-secondary-sidebar-modal";
  const closeDrawersOnTap = () => {
    document.querySelectorAll(DRAWERS).forEach((dialog) => {
      if (dialog.dataset.d2lCloses) return;
      dialog.dataset.d2lCloses = "1";
      dialog.addEventListener("click", (event) => {
        const link = event.target.closest("a[href]");
        if (link && dialog.open) dialog.close();
      });
    });
  };

  // -- 3. scroll cues ---------------------------------------------------------------------
  const SCROLLERS = [
    "article pre",
    "article div.cell_output .output",
    "article mjx-container",
    "article .pst-scrollable-table-container",
  ].join(", ");
  const hostOf = (el) => {
    // The cue sits on a host that does not scroll: a formula's div.math (a flex row whose
    // absolutely placed ::before/::after take no room), else a wrapper made for it.
    const parent = el.parentElement;
    if (parent && parent.classList.contains("d2l-scroll-host")) return parent;
    const math = el.matches("mjx-container") && el.closest("div.math");
    if (math) {
      math.classList.add("d2l-scroll-host");
      return math;
    }
    const wrap = document.createElement("div");
    wrap.className = "d2l-scroll-host";
    el.replaceWith(wrap);
    wrap.appendChild(el);
    return wrap;
  };
  const scrollsItself = (el) => {
    const overflow = getComputedStyle(el).overflowX;
    return overflow === "auto" || overflow === "scroll";
  };
  const cue = (el) => {
    const over = el.scrollWidth - el.clientWidth > 1 && scrollsItself(el);
    const known = el.dataset.d2lCue === "1";
    if (!over && !known) return;
    const host = hostOf(el);
    host.classList.toggle("d2l-scroll-cue", over);
    host.classList.toggle("d2l-more-left", over && el.scrollLeft > 1);
    host.classList.toggle("d2l-more-right", over && el.scrollLeft + el.clientWidth < el.scrollWidth - 1);
    if (!known) {
      el.dataset.d2lCue = "1";
      el.addEventListener("scroll", () => cue(el), {passive: true});
    }
  };
  const scrollCues = () => document.querySelectorAll(SCROLLERS).forEach(cue);

  // sphinx-togglebutton names its buttons in English.
  const chineseToggles = () => document.querySelectorAll("button.toggle-button[aria-label]").forEach(
    (b) => b.setAttribute("aria-label", "显示或隐藏内容"));

  let timer = null;
  const update = () => { chineseToggles(); stackTables(); scrollCues(); };
  const later = () => { clearTimeout(timer); timer = setTimeout(update, 150); };
  const ready = () => {
    closeDrawersOnTap();
    update();
    window.addEventListener("resize", later);
    // Formulas change width once MathJax has typeset them (it loads after this script).
    const afterMath = () => {
      later();
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(later);
      }
    };
    if (document.readyState === "complete") afterMath();
    else window.addEventListener("load", afterMath);
  };
  window.d2lPhone = {update};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
