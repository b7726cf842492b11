"""Chinese theme labels.

Some theme strings are not translated (hard-coded English titles, the search placeholder) or
are Taiwanese (列印成 PDF). ``THEME_LABELS`` replaces them in the written pages.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

#: theme strings in English or in Traditional Chinese -> Simplified Chinese, replaced in the
#: attributes (title, aria-label, placeholder, data-bs-original-title) and texts of each page
THEME_LABELS: dict[str, str] = {
    "Toggle primary sidebar": "显示或隐藏章节目录",
    "Toggle secondary sidebar": "显示或隐藏本页目录",
    "Search this book...": "搜索本书…",
    "Search this book…": "搜索本书…",
    "Search the docs ...": "搜索本书…",
    "Search": "搜索",
    "Site navigation": "章节目录",
    "On this page": "本页目录",
    "Fullscreen mode": "全屏模式",
    "Download this page": "下载本页",
    "Source repositories": "源代码仓库",
    "Launch interactive content": "在线运行",
    "Color mode": "颜色模式",
    "Light": "浅色",
    "Dark": "深色",
    "System Settings": "跟随系统",
    "Back to top": "回到顶部",
    "Skip to main content": "跳到正文",
    "Contents": "目录",
    "列印成 PDF": "打印为 PDF",
    "列印為 PDF": "打印为 PDF",
    "Print to PDF": "打印为 PDF",
    "下載原始檔": "下载源文件",
    "原始碼儲存庫": "源代码仓库",
    "編輯此頁面": "编辑此页",
    "開啟議題": "报告问题",
    "Edit this page": "编辑此页",
    "Open an issue": "报告问题",
    "Open issue": "报告问题",
    "Download source file": "下载源文件",
    "Download notebook file": "下载笔记本文件",
    "Suggest edit": "编辑此页",
    "Repository": "源代码仓库",
    "Link to this heading": "链接到本标题",
    "Link to this image": "链接到本图",
    "Link to this table": "链接到本表",
    "Link to this code": "链接到本代码",
    "Link to this equation": "链接到本公式",
    "Link to this definition": "链接到本定义",
    "Launch Thebe": "在本页运行代码（Live Code）",
    "Launch on Binder": "在 Binder 上打开",
    "Launch on JupyterHub": "在 JupyterHub 上打开",
    "Launch on Colab": "在 Colab 上打开",
    "Main": "主导航",
    "Page": "本页",
}

_LABEL_ATTRS = ("title", "aria-label", "placeholder", "data-bs-original-title", "alt")


def translate_labels(html: str) -> str:
    """Replace THEME_LABELS in the label attributes and in short element texts of a page."""
    for english, chinese in THEME_LABELS.items():
        for attr in _LABEL_ATTRS:
            html = html.replace(f'{attr}="{english}"', f'{attr}="{chinese}"')
        html = re.sub(rf">(\s*){re.escape(english)}(\s*)<", rf">\g<1>{chinese}\g<2><", html)
    return html


def _translate_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.parts or "mathjax" in path.parts:
            continue
        html = path.read_text(encoding="utf-8")
        new = translate_labels(html)
        if new != html:
            path.write_text(new, encoding="utf-8")


def setup(app: Sphinx) -> None:
    app.connect("build-finished", _translate_pages)
