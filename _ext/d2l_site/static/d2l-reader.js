/* D2L Companion, in every page (served by the site; see _ext/d2l_site/assets.py).
 *
 * 1. The sidebar toggles. pydata-sphinx-theme 0.17.1 and sphinx-book-theme 1.3.0 bind their
 *    click handlers to the first .primary-toggle / .secondary-toggle of the page: the navbar
 *    buttons that the book layout hides. The visible ☰ and 目录 buttons get none, so they open
 *    nothing on a phone and ☰ does not collapse the sidebar on a desktop. Their clicks are
 *    forwarded to the bound buttons, which open the panel (narrow screens) or collapse the
 *    sidebar (wide screens), as the themes intend.
 * 2. Search snippets without TeX. Sphinx builds each snippet from the text of the found page,
 *    in which a formula is still its TeX source "\(…\)" (MathJax typesets it in the browser);
 *    formulas become "…", and the theme's buttons and navigation are left out.
 */
(() => {
  "use strict";

  const forwardToggles = () => {
    for (const selector of [".primary-toggle", ".secondary-toggle"]) {
      const buttons = Array.from(document.querySelectorAll(selector));
      const bound = buttons[0];
      buttons.slice(1).forEach((button) => {
        if (button.dataset.d2lForwarded) return;
        button.dataset.d2lForwarded = "1";
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopImmediatePropagation();
          button.blur();
          bound.click();
        }, true);
      });
    }
  };

  const MATH = ".math, mjx-container, .MathJax";
  // The theme's buttons and navigation are inside [role=main] too; they are no snippet.
  const CHROME = "script, style, .headerlink, .bd-header-article, .bd-sidebar-secondary, " +
                 ".prev-next-area, .bd-footer-article, .bd-footer-content, nav";
  const patchSearchSnippets = () => {
    if (typeof Search === "undefined" || Search.d2lPatched) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(MATH).forEach((el) => el.replaceWith(" … "));
      doc.querySelectorAll(CHROME).forEach((el) => el.remove());
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    Search.d2lPatched = true;
  };

  patchSearchSnippets();
  const ready = () => { forwardToggles(); patchSearchSnippets(); };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
