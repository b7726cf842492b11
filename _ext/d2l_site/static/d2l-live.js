/* D2L Companion: Live Code (Thebe) from the site itself, with a message in Chinese when Binder
 * cannot be reached, and the whole-book PDF in the download menu when it was built.
 * Settings come from window.D2L_LIVE (written into each page by _ext/d2l_site/live.py). */
(function () {
  "use strict";

  function settings() {
    return Object.assign({ timeoutMs: 20000, binderUrl: "https://mybinder.org" }, window.D2L_LIVE || {});
  }

  function launchButton() {
    return document.querySelector(".thebe-launch-button");
  }

  function setButtonText(text) {
    var button = launchButton();
    if (button) button.textContent = text;
  }

  /* The page's own downloads: the executed notebook and the Markdown source. */
  function downloads() {
    var links = Array.prototype.slice.call(document.querySelectorAll(".dropdown-download-buttons a[href]"));
    var find = function (suffix) {
      var a = links.filter(function (l) { return l.getAttribute("href").split("?")[0].endsWith(suffix); })[0];
      return a ? a.href : null;
    };
    return { ipynb: find(".ipynb"), md: find(".md") };
  }

  var shown = false;
  var startedAt = 0;
  /* Replace the launch button's progress with a message saying why and what to do instead. */
  function showUnavailable(reason) {
    if (shown) return;
    shown = true;
    window.d2lLiveElapsedMs = performance.now() - startedAt;  // for the site tests
    var cfg = settings();
    var files = downloads();
    var host = cfg.binderUrl.replace(/^https?:\/\//, "");
    var box = document.createElement("div");
    box.className = "admonition warning d2l-live-message";
    box.setAttribute("role", "alert");
    var items = [];
    if (files.ipynb || files.md) {
      var parts = [];
      if (files.ipynb) parts.push('<a class="d2l-live-ipynb" href="' + files.ipynb + '" download>笔记本（.ipynb，含输出）</a>');
      if (files.md) parts.push('<a class="d2l-live-md" href="' + files.md + '" download>源文件（.md）</a>');
      items.push("<li>下载本页的" + parts.join("或") + "，在自己电脑上的 Jupyter 里打开运行；</li>");
    }
    var readme = cfg.readme ? '<a class="d2l-live-readme" href="' + cfg.readme + '">README</a>' : "README";
    items.push("<li>在本地运行全书：克隆仓库后执行 <code>make lab</code>（用 JupyterLab 把各页作为笔记本打开）；" +
               "没有 <code>make</code> 时，按 " + readme + " 中的命令：先 <code>python -m venv .venv</code>，" +
               "再激活它（macOS/Linux：<code>source .venv/bin/activate</code>；Windows：" +
               "<code>.venv\\Scripts\\activate</code>），然后 <code>python -m pip install -e \".[book,dev]\"</code>，" +
               "最后 <code>jupyter lab</code>。</li>");
    box.innerHTML =
      '<p class="admonition-title">无法连接 Binder，在线运行代码暂不可用</p>' +
      "<p>" + reason + "（" + host + " 在一些网络中无法访问，例如中国大陆的部分网络。）可以改用：</p>" +
      "<ul>" + items.join("") + "</ul>";
    var anchor = launchButton() || document.querySelector("main h1");
    if (anchor && anchor.parentNode) {
      anchor.parentNode.insertBefore(box, anchor.nextSibling);
    } else {
      document.body.insertBefore(box, document.body.firstChild);
    }
    setButtonText("在线运行不可用");
    var button = launchButton();
    if (button) button.classList.add("d2l-live-failed");
  }

  /* Resolves when the Binder server answers within timeoutMs, rejects otherwise. */
  function probeBinder(cfg) {
    return new Promise(function (resolve, reject) {
      var done = false;
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = setTimeout(function () {
        if (done) return;
        done = true;
        if (controller) controller.abort();
        reject("timeout");
      }, cfg.timeoutMs);
      fetch(cfg.binderUrl + "/health", { mode: "no-cors", cache: "no-store", signal: controller ? controller.signal : undefined })
        .then(function () { if (!done) { done = true; clearTimeout(timer); resolve(); } })
        .catch(function () { if (!done) { done = true; clearTimeout(timer); reject("error"); } });
    });
  }

  function loadThebe(cfg) {
    return new Promise(function (resolve, reject) {
      if (typeof window.thebelab !== "undefined") { resolve(); return; }
      if (cfg.thebeCss && !document.querySelector('link[href="' + cfg.thebeCss + '"]')) {
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = cfg.thebeCss;
        document.head.appendChild(css);
      }
      var script = document.createElement("script");
      script.src = cfg.thebeJs || (typeof THEBE_JS_URL !== "undefined" ? THEBE_JS_URL : "");
      script.addEventListener("load", function () { resolve(); });
      script.addEventListener("error", function () { reject(); });
      document.head.appendChild(script);
    });
  }

  var statusText = {
    building: "正在构建运行环境（第一次可能需要几分钟）……",
    launching: "正在启动 Jupyter 服务器……",
    "server-ready": "服务器已就绪，正在启动内核……",
    starting: "正在启动内核……",
    ready: "内核已就绪：可以运行代码了",
    idle: "内核已就绪：可以运行代码了",
    busy: "正在运行……",
  };

  /* Replaces sphinx-thebe's initThebe (called by the theme's "Live Code" button). */
  function initThebe() {
    var cfg = settings();
    var seconds = Math.round(cfg.timeoutMs / 1000);
    startedAt = performance.now();
    setButtonText("正在连接 Binder（最多等待 " + seconds + " 秒）……");
    window.d2lLiveState = "probing";
    Promise.all([probeBinder(cfg), loadThebe(cfg)]).then(function () {
      window.d2lLiveState = "launching";
      if (typeof configureThebe === "function") configureThebe();
      window.thebelab.on("status", function (evt, data) {
        var status = data && data.status;
        if (status === "failed" || status === "server-error" || status === "session-error") {
          showUnavailable("Binder 没能启动运行环境：" + ((data && data.message) || status) + "。");
        } else if (status && statusText[status]) {
          var label = document.querySelector(".thebe-launch-button .loading-text");
          if (label) label.textContent = statusText[status];
        }
      });
      window.thebelab.on("error", function (evt, data) {
        showUnavailable("与 Binder 的连接中断了：" + ((data && data.message) || "未知错误") + "。");
      });
      if (typeof modifyDOMForThebe === "function") modifyDOMForThebe();
      var started = window.thebelab.bootstrap();
      if (started && typeof started.catch === "function") {
        started.catch(function (err) { showUnavailable("启动在线运行环境时出错：" + err + "。"); });
      }
    }, function (why) {
      window.d2lLiveState = "unavailable";
      if (why === "timeout") {
        showUnavailable("在 " + seconds + " 秒内没有连上 Binder。");
      } else if (why === "error") {
        showUnavailable("连接 Binder 失败（网络不可用，或 Binder 被屏蔽）。");
      } else {
        showUnavailable("没能从本站加载在线运行所需的脚本（Thebe）。");
      }
    });
  }

  /* The whole-book PDF: the menu entry appears only when `make pdf` put book.pdf on the site
   * (it sets bookPdfBuilt in every page; a build after it sets it when the file is there). */
  function showBookPdf() {
    if (settings().bookPdfBuilt) document.documentElement.classList.add("d2l-has-book-pdf");
  }

  // sphinx-thebe's script (async) defines its own initThebe; the load event comes after it.
  window.addEventListener("load", function () {
    window.initThebe = initThebe;
    showBookPdf();
  });
})();
