"""Downloadable notebooks that run where they land.

Each page's ".ipynb" and ".md" download (``<html>/_sources/<page>.ipynb`` and ``.md``) was the
page's MyST source: ``{ref}`` and ``{glue}`` roles, directive fences and labels that only the
book's Sphinx build understands, and ``import d2lcore`` with no word on how to get it. After
the build (``build-finished``, once ``downloads.py`` has merged the cached outputs into the
``.ipynb``), every download becomes a plain notebook:

- ``{ref}``, ``{numref}`` and ``{doc}`` become Markdown links to the page on the public site
  (``html.baseurl`` in ``_config.yml``) with the text the site shows ("4.8 节", "练习 4.3.2");
- ``{glue:text}`` / ``{glue:md}`` / ``{glue}`` become the values this build glued (formatted as
  the site formats them);
- the exercise and solution fences become headed sections ("### 练习 4.3.2", "#### 练习 4.3.2
  的解答"), admonitions become quotes, ``{tableofcontents}`` a list of links, labels
  ``(name)=`` and MyST comments disappear;
- code cells the site hides or removes are kept, with a first comment line saying so;
- ``from myst_nb import glue`` works without MyST-NB (a stand-in that only shows nothing);
- a first code cell checks for d2lcore: where it is missing, it stops with the one
  ``pip install`` line that gets it (from the repository), and it says which data folder
  d2lcore reads (``D2LCORE_DATA``) and whether Fashion-MNIST is there.

The ``.md`` download is the same notebook in Jupytext's plain Markdown format (code in
```` ```python ```` fences). ``<html>/notebooks.zip`` holds every page's ``.ipynb`` in the
book's folder layout; each page's download menu offers it.

A directive or role this module does not know fails the build (``ExtensionError``) rather than
leaving MyST in a reader's notebook.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from .downloads import download_menu, menu_link

logger = logging.getLogger(__name__)

#: the zip of every page's notebook, relative to the site's root
NOTEBOOKS_ZIP = "notebooks.zip"

#: the words the site uses for numbered things (sphinx-exercise's "练习 %s" and Sphinx's own)
NUMBER_FORMATS = {"exercise": "练习 {}", "figure": "图 {}", "table": "表 {}",
                  "code-block": "代码 {}", "section": "{} 节"}

#: tag -> the comment line that marks a cell the site hides or removes
HIDDEN_TAGS = {
    "remove-cell": "网页上不显示这个单元格（它为网页准备数据或做检查）",
    "remove-input": "网页上只显示这个单元格的输出，不显示代码",
    "remove-output": "网页上只显示这个单元格的代码，不显示输出",
    "hide-cell": "网页上这个单元格默认折叠",
    "hide-input": "网页上这个单元格的代码默认折叠（通常是绘图代码）",
    "hide-output": "网页上这个单元格的输出默认折叠",
}
HIDDEN_MARK = "# 【网页中隐藏】"

#: `from myst_nb import glue` in a page, and what the download runs instead
GLUE_IMPORT = re.compile(r"^from myst_nb import glue[ \t]*$", re.M)
GLUE_STANDIN = (
    "try:\n"
    "    from myst_nb import glue\n"
    "except ImportError:  # 没有安装 MyST-NB：glue 只在网页构建中把数值填进正文，这里什么也不做\n"
    "    def glue(name, variable, display=True):\n"
    "        return None"
)


class ConversionError(ValueError):
    """MyST that this module cannot turn into plain Markdown."""


@dataclass
class Target:
    """Where a reference leads: the text the site shows and the URL on the public site."""

    text: str
    url: str


@dataclass
class Links:
    """What the references of the book resolve to (filled from Sphinx's environment)."""

    site_url: str
    #: label -> (docname, anchor, section title)
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: label -> number text ("练习 4.3.2") for numbered things
    numbers: dict[str, str] = field(default_factory=dict)
    #: docname -> page title
    titles: dict[str, str] = field(default_factory=dict)
    #: the pages in reading order (for {tableofcontents})
    pages: list[str] = field(default_factory=list)
    #: equation label -> (docname, anchor, number "3.1.1") of the labelled display equations
    equations: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def page_url(self, docname: str, anchor: str = "") -> str:
        url = f"{self.site_url.rstrip('/')}/{docname}.html"
        return f"{url}#{anchor}" if anchor else url

    def ref(self, label: str, text: str | None) -> Target:
        if label not in self.labels:
            raise ConversionError(f"{{ref}} to an unknown label {label!r}")
        docname, anchor, title = self.labels[label]
        return Target(text or title or self.titles.get(docname, label), self.page_url(docname, anchor))

    def numref(self, label: str, text: str | None) -> Target:
        if label not in self.labels or label not in self.numbers:
            raise ConversionError(f"{{numref}} to an unknown or unnumbered label {label!r}")
        docname, anchor, _ = self.labels[label]
        number = self.numbers[label]
        if text:
            shown = (text.replace("%s", number.split()[-1]).replace("{number}", number.split()[-1]))
        else:
            shown = number
        return Target(shown, self.page_url(docname, anchor))

    def eq(self, label: str, text: str | None) -> Target:
        """An equation as the site refers to it, "(3.1.1)", linked to where it is shown."""
        if label not in self.equations:
            raise ConversionError(f"{{eq}} to an unknown or unnumbered equation {label!r}")
        docname, anchor, number = self.equations[label]
        return Target(text or f"({number})", self.page_url(docname, anchor))

    def tag(self, label: str) -> str:
        """The number a labelled display equation shows, "3.1.1"."""
        if label not in self.equations:
            raise ConversionError(f"the display equation ({label}) has no number on the site")
        return self.equations[label][2]

    def doc(self, target: str, text: str | None, current: str) -> Target:
        import posixpath

        target = target.removesuffix(".md").removesuffix(".ipynb")
        docname = (target.lstrip("/") if target.startswith("/")
                   else posixpath.normpath(posixpath.join(posixpath.dirname(current), target)))
        if docname not in self.titles:
            raise ConversionError(f"{{doc}} to an unknown page {target!r}")
        return Target(text or self.titles[docname], self.page_url(docname))


# --- glued values ---------------------------------------------------------------------------


def glued_values(nb: dict) -> dict[str, dict[str, str]]:
    """name -> the mime bundle of every ``glue(name, ...)`` output of an executed notebook."""
    values: dict[str, dict[str, str]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            scrap = (output.get("metadata") or {}).get("scrapbook")
            if isinstance(scrap, dict) and "name" in scrap:
                # MyST-NB stores the bundle under a prefix ("application/papermill.record/")
                prefix = str(scrap.get("mime_prefix") or "")
                values[scrap["name"]] = {k.removeprefix(prefix): "".join(v) if isinstance(v, list) else v
                                         for k, v in (output.get("data") or {}).items()}
    return values


def glue_text(bundle: dict[str, str], spec: str, kind: str) -> str:
    """The text MyST-NB shows for a glued value (``{glue:text}`name:.3f``` and friends)."""
    if kind == "md":
        if "text/markdown" not in bundle:
            raise ConversionError("{glue:md} of a value without Markdown")
        return bundle["text/markdown"].strip()
    plain = bundle.get("text/plain")
    if plain is None:
        raise ConversionError("a glued value without text/plain")
    if not spec:
        return plain.strip().strip("'\"") if kind == "text" else plain.strip()
    import ast

    try:
        value = ast.literal_eval(plain)
    except (ValueError, SyntaxError) as err:
        raise ConversionError(f"the glued value {plain!r} cannot take the format {spec!r}") from err
    return format(value, spec)


# --- MyST -> Markdown -----------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[a-zA-Z][\w:-]*)\}\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_LABEL_LINE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_COMMENT_LINE = re.compile(r"^%")
# A role, or an inline code span (kept as it is).
_ROLE_OR_CODE = re.compile(r"\{(?P<role>[a-zA-Z][\w:-]*)\}(?P<rt>`+)(?P<rbody>.+?)(?P=rt)|(?P<ct>`+).+?(?P=ct)",
                           re.S)
# A display equation with a MyST label after it: $$ ... $$ (eq-label); Jupyter shows it with
# \tag{3.1.1}, the number the site gives it.
_LABELLED_MATH = re.compile(r"^\$\$(?P<body>(?:(?!\$\$).)+?)\$\$[ \t]*\((?P<label>[\w:.-]+)\)[ \t]*$",
                            re.S | re.M)
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


@dataclass
class Page:
    """What the conversion of one page needs."""

    docname: str
    links: Links
    glue: dict[str, dict[str, str]] = field(default_factory=dict)


def _link(target: Target) -> str:
    text = target.text.replace("[", r"\[").replace("]", r"\]")
    return f"[{text}]({target.url})"


def convert_roles(text: str, page: Page) -> str:
    """Replace the MyST roles of a Markdown text (not those inside code spans)."""

    def replace(m: re.Match[str]) -> str:
        role = m["role"]
        if role is None:
            return m[0]
        body = m["rbody"]
        explicit = _EXPLICIT.match(body)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, body)
        if role == "ref":
            return _link(page.links.ref(target.strip(), text))
        if role == "numref":
            return _link(page.links.numref(target.strip(), text))
        if role == "eq":
            return _link(page.links.eq(target.strip(), text))
        if role == "doc":
            return _link(page.links.doc(target.strip(), text, page.docname))
        if role in ("glue", "glue:", "glue:any", "glue:text", "glue:md"):
            name, _, spec = body.partition(":")
            if name not in page.glue:
                raise ConversionError(f"{{{role}}}`{body}` names no value glued on this page")
            kind = {"glue:text": "text", "glue:md": "md"}.get(role, "any")
            return glue_text(page.glue[name], spec, kind)
        if role in ("math",):
            return f"${body}$"
        if role in ("sub", "sup"):
            return f"<{role}>{body}</{role}>"
        raise ConversionError(f"the role {{{role}}} has no plain-Markdown form here")

    text = _LABELLED_MATH.sub(lambda m: f"$${m['body'].rstrip()} \\tag{{{page.links.tag(m['label'])}}}$$",
                              text)
    return _ROLE_OR_CODE.sub(replace, text)


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in lines]


def _directive(name: str, arg: str, options: dict[str, str], body: list[str],
               page: Page, convert: Callable[[str], str]) -> list[str]:
    """The plain Markdown lines of one directive (its body already converted)."""
    links = page.links
    if name == "exercise-start":
        label = options.get("label", "")
        number = links.numbers.get(label, "练习")
        return [f"### {number}", ""]
    if name == "solution-start":
        number = links.numbers.get(arg.strip(), "练习")
        return [f"#### {number} 的解答", ""]
    if name in ("exercise-end", "solution-end"):
        return []
    if name in ("exercise", "solution"):
        label = options.get("label", "") if name == "exercise" else arg.strip()
        number = links.numbers.get(label, "练习")
        head = f"### {number}" if name == "exercise" else f"#### {number} 的解答"
        return [head, "", *body]
    if name in ("admonition", "note", "tip", "hint", "important", "warning", "caution",
                "attention", "danger", "error", "seealso"):
        titles = {"note": "注意", "tip": "提示", "hint": "提示", "important": "重要",
                  "warning": "警告", "caution": "小心", "attention": "注意", "danger": "危险",
                  "error": "错误", "seealso": "另见"}
        title = arg.strip() if name == "admonition" else titles[name]
        return _quote([f"**{convert(title)}**", "", *body])
    if name == "tableofcontents":
        return [f"- [{links.titles.get(doc, doc)}]({links.page_url(doc)})"
                for doc in links.pages if doc != page.docname]
    if name == "math":
        return ["$$", *body, "$$"]
    if name == "d2l-build-times":  # a table of this build's run times: on the site only
        return [f"（本次构建各笔记本的用时表见网站上的[本页]({links.page_url(page.docname)})。）"]
    raise ConversionError(f"the directive {{{name}}} has no plain-Markdown form here")


def myst_to_markdown(text: str, page: Page) -> str:
    """Plain Markdown (Jupyter's) from a page's MyST Markdown text."""
    lines = text.split("\n")
    out: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            out.extend(convert_roles("\n".join(prose), page).split("\n"))
            prose.clear()

    def convert(chunk: str) -> str:
        return myst_to_markdown(chunk, page)

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence is None:
            if not (_LABEL_LINE.match(line) or _COMMENT_LINE.match(line)):
                prose.append(line)
            i += 1
            continue
        flush()
        mark, info = fence["fence"], fence["info"].strip()
        # the matching closing fence: the same character, at least as long, nothing after it
        end = i + 1
        while end < len(lines):
            close = _FENCE.match(lines[end])
            if (close and close["fence"][0] == mark[0] and len(close["fence"]) >= len(mark)
                    and not close["info"].strip()):
                break
            end += 1
        block = lines[i + 1:end]
        directive = _DIRECTIVE.match(info)
        if directive is None:  # a code block: as it is
            out.extend(lines[i:end + 1])
            i = end + 1
            continue
        options: dict[str, str] = {}
        while block and _OPTION.match(block[0]):
            option = _OPTION.match(block[0])
            options[option["key"]] = option["value"].strip()
            block = block[1:]
        if block and block[0].strip() == "---":  # YAML options block
            stop = block.index("---", 1) if "---" in block[1:] else 0
            block = block[stop + 1:]
        body = convert("\n".join(block)).split("\n") if block else []
        try:
            out.extend(_directive(directive["name"], directive["arg"], options, body, page, convert))
        except ConversionError as err:
            raise ConversionError(f"{page.docname}: {err}") from None
        i = end + 1
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


# --- the notebook ---------------------------------------------------------------------------


def setup_cell_source(repository_url: str, branch: str) -> str:
    """The first code cell: d2lcore is there, or one install line and a clear stop."""
    install = f"pip install \"d2lcore @ git+{repository_url.rstrip('/')}.git@{branch}\""
    return "\n".join([
        "# 运行本笔记本需要 d2lcore（本书配套的 PyTorch 库，会一并装上 PyTorch）。这个单元格先做检查：",
        "# 没有安装时，它给出安装命令并停下，而不是让后面的单元格报出难懂的错误。",
        "import importlib.util",
        "",
        "if importlib.util.find_spec(\"d2lcore\") is None:",
        "    raise ModuleNotFoundError(",
        "        \"没有找到 d2lcore。在终端里运行下面这一行（或在笔记本里运行 %pip install …），然后重启内核：\\n\"",
        f"        {json.dumps('    ' + install, ensure_ascii=False)} \"\\n\"",
        "        \"离线时：在能上网的机器上用 `pip wheel` 把同一行换成 wheel 文件，\"",
        "        \"再在这里 `pip install d2lcore-<版本>-py3-none-any.whl`（外加 torch 与 torchvision 的 wheel）。\")",
        "",
        "import d2lcore",
        "",
        "# 数据目录：环境变量 D2LCORE_DATA 指定的目录，未设置时是用户缓存目录下的 d2lcore/data。",
        "# Fashion-MNIST 的四个文件放在其中的 FashionMNIST/raw/ 下；缺少时第一次读取会联网下载（约 30 MB），",
        "# 离线又没有文件时会报错并说明该把哪些文件放到哪里。",
        "_root = d2lcore.data_root()",
        "_found = (_root / \"FashionMNIST\" / \"raw\").is_dir()",
        "print(f\"d2lcore {d2lcore.__version__}；数据目录 {_root}（\"",
        "      + (\"已有 Fashion-MNIST）\" if _found else \"还没有 Fashion-MNIST，用到时会下载；\"",
        "         \"离线请设置 D2LCORE_DATA 指向含有 FashionMNIST/raw/ 的目录）\"))",
    ])


def _mark_hidden(cell: dict) -> None:
    tags = (cell.get("metadata") or {}).get("tags") or []
    notes = [HIDDEN_TAGS[t] for t in tags if t in HIDDEN_TAGS]
    if not notes:
        return
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    if not source.startswith(HIDDEN_MARK):
        cell["source"] = f"{HIDDEN_MARK}{'；'.join(notes)}\n{source}"


def plain_notebook(nb: dict, page: Page, repository_url: str, branch: str) -> dict:
    """The page's notebook for a reader: plain Markdown, hidden cells marked, the setup cell
    first. ``nb`` is an nbformat-4 notebook (a dict; it is not modified)."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            text = myst_to_markdown(source, page).strip("\n")
            if not text.strip():
                continue
            cell["source"] = text
        elif cell["cell_type"] == "code":
            cell["source"] = GLUE_IMPORT.sub(GLUE_STANDIN, source)
            _mark_hidden(cell)
        cells.append(cell)
    setup = {"cell_type": "code", "execution_count": None, "id": "d2lcore-setup",
             "metadata": {"tags": ["d2lcore-setup"]}, "outputs": [],
             "source": setup_cell_source(repository_url, branch)}
    nb["cells"] = [setup, *cells]
    metadata = nb.setdefault("metadata", {})
    metadata.pop("jupytext", None)
    metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python",
                                       "name": "python3"})
    metadata["d2l_companion"] = {"page": page.links.page_url(page.docname)}
    return nb


# --- Sphinx ---------------------------------------------------------------------------------


def links_from_env(app: Sphinx) -> Links:
    """The book's labels, numbers and titles from Sphinx's environment."""
    env = app.env
    site_url = str(getattr(app.config, "html_baseurl", "") or "")
    if not site_url.startswith(("http://", "https://")):
        raise ExtensionError(
            "notebooks: set the public site URL as `html: baseurl: https://…` in _config.yml; "
            "the downloaded notebooks link their cross-references there")
    std = env.get_domain("std")
    labels = {name: (doc, anchor, title) for name, (doc, anchor, title) in std.labels.items()}
    for name, (doc, anchor) in std.anonlabels.items():
        labels.setdefault(name, (doc, anchor, ""))
    numbers: dict[str, str] = {}
    formats = dict(NUMBER_FORMATS)
    for figtype, fmt in (app.config.numfig_format or {}).items():
        formats[figtype] = fmt.replace("%s", "{}")
    for name, (doc, anchor, _) in labels.items():
        for figtype, by_id in env.toc_fignumbers.get(doc, {}).items():
            if anchor in by_id:
                number = ".".join(map(str, by_id[anchor]))
                numbers[name] = formats.get(figtype, "{}").format(number)
    equations: dict[str, tuple[str, str, str]] = {}
    for label, (doc, _) in env.get_domain("math").equations.items():
        anchor = f"equation-{label}"
        number = env.toc_fignumbers.get(doc, {}).get("displaymath", {}).get(anchor)
        if number:
            equations[label] = (doc, anchor, ".".join(map(str, number)))
    titles = {doc: title.astext() for doc, title in env.titles.items()}
    pages = [doc for doc in env.toctree_includes.get(env.config.root_doc, [])]
    pages = _reading_order(env) or pages
    return Links(site_url=site_url, labels=labels, numbers=numbers, titles=titles, pages=pages,
                 equations=equations)


def _reading_order(env) -> list[str]:  # noqa: ANN001
    order: list[str] = []

    def walk(doc: str) -> None:
        for child in env.toctree_includes.get(doc, []):
            if child not in order:
                order.append(child)
                walk(child)

    walk(env.config.root_doc)
    return order


def _repository(app: Sphinx) -> tuple[str, str]:
    options = getattr(app.config, "html_theme_options", None) or {}
    url = str(options.get("repository_url") or "").rstrip("/")
    if not url:
        raise ExtensionError("notebooks: set `repository: url:` in _config.yml; the downloaded "
                             "notebooks tell readers to install d2lcore from there")
    return url, str(options.get("repository_branch") or "main")


def write_plain_downloads(app: Sphinx) -> list[Path]:
    """Rewrite every ``_sources/<page>.ipynb`` and ``.md`` as a plain notebook / Markdown;
    write ``notebooks.zip``. Returns the notebooks written."""
    import jupytext
    import nbformat

    outdir = Path(app.outdir)
    links = links_from_env(app)
    repository, branch = _repository(app)
    written: list[Path] = []
    for docname in sorted(app.env.found_docs):
        ipynb = outdir / "_sources" / f"{docname}.ipynb"
        md = outdir / "_sources" / f"{docname}.md"
        try:
            if ipynb.is_file():
                raw = json.loads(ipynb.read_text(encoding="utf-8"))
                if any(c.get("id") == "d2lcore-setup" for c in raw.get("cells", [])):
                    written.append(ipynb)  # already plain (an incremental build)
                    continue
                page = Page(docname, links, glued_values(raw))
                plain = nbformat.from_dict(plain_notebook(raw, page, repository, branch))
                nbformat.validate(plain)
                nbformat.write(plain, ipynb)
                if md.is_file():
                    md.write_text(jupytext.writes(plain, fmt="md"), encoding="utf-8")
                written.append(ipynb)
            elif md.is_file():
                text = md.read_text(encoding="utf-8")
                if text.startswith("---\n"):  # front matter: the site's settings, not the reader's
                    text = text.split("\n---\n", 1)[1] if "\n---\n" in text else text
                md.write_text(myst_to_markdown(text, Page(docname, links)).strip() + "\n",
                              encoding="utf-8")
        except ConversionError as err:
            raise ExtensionError(f"notebooks: {docname}: {err}") from err
    order = {doc: i for i, doc in enumerate(links.pages)}
    with zipfile.ZipFile(outdir / NOTEBOOKS_ZIP, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(written, key=lambda p: order.get(_docname(outdir, p), len(order))):
            zf.write(path, f"d2l-companion/{_docname(outdir, path)}.ipynb")
    return written


def _docname(outdir: Path, path: Path) -> str:
    return path.relative_to(outdir / "_sources").with_suffix("").as_posix()


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    written = write_plain_downloads(app)
    logger.info(f"notebooks: {len(written)} plain notebooks, {NOTEBOOKS_ZIP}")


def _download_menu(app: Sphinx, pagename: str, templatename: str, context: dict,
                   doctree: object) -> None:
    """Chinese entries in the page's download menu, and the zip of every notebook."""
    buttons = download_menu(context)
    if not buttons:
        return
    for button in buttons:
        label = button.get("label", "")
        if label == "download-notebook-button":
            button["tooltip"] = "下载本页的笔记本（.ipynb，含输出，下载后可直接运行）"
        elif label == "download-source-button":
            button["tooltip"] = "下载本页的 Markdown 版笔记本（.md，可用 Jupytext 打开）"
    buttons.append(menu_link(context["pathto"](NOTEBOOKS_ZIP, 1), "全部笔记本（.zip）",
                             "下载全书每一页的笔记本（.ipynb），打成一个 zip",
                             "fas fa-file-archive", "download-notebooks-zip-button"))


def setup(app: Sphinx) -> None:
    # After downloads.py merged the cached outputs into the .ipynb downloads (priority 500).
    app.connect("build-finished", _on_build_finished, priority=700)
    app.connect("html-page-context", _download_menu, priority=800)
