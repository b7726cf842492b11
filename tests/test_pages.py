"""The pages' prose never types a number that a run produces (CONTRIBUTING.md, "Numbers in prose").

A run's accuracy or loss is rendered from the run with myst-nb's glue
(``glue("acc-mlp", history.final.test_acc, display=False)`` in a cell, ``{glue:text}`acc-mlp:.3f```
in the prose), so the quick build shows quick numbers and the full build full ones. This test
reads each page's MyST source (no execution) and fails on an accuracy- or loss-like literal in
its prose, that is outside code cells, maths, inline code and roles (``{glue:text}`` included):

- a fraction 0.10–0.99… with at least two decimals (``0.837``, ``0.47``): accuracy-like;
- any other number with at least two decimals (``0.047``, ``2.30``), or a percentage, in a
  clause that speaks of accuracy, error or loss (精度, 准确率, 误差, 损失, accuracy, loss, …).

A literal that is not a run result is allowed in one of two explicit ways:

1. its clause (the text between two of ，。；！？,;!?| or line breaks) names its role with one of
   ``SETTINGS`` (阈值 0.84; 学习率 0.03);
2. an HTML comment line directly above its paragraph lists it and says why (invisible in the
   book and in Jupyter): ``<!-- literal: 1.51, 0.49 — worked example: Xavier's two factors -->``.
   Every listed literal must occur in that paragraph (a stale marker fails too).

A number the prose attributes to the book or the notes (a clause with 书中, 笔记, …) is never
typed: it comes from the registry ``d2lcore/sources.yml`` (value, section, source: printed
output with the quoted line, text, read off a figure, or the notes) through
``glue("book-...", d2l.book_number("6.6/test-acc"), display=False)``; a figure's value is
preceded by 约. ``d2l.record(..., book_test_acc=d2l.book_number(...))`` reads the same registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([*(REPO / "chapters").glob("ch*/ch*.md"), *(REPO / "chapters").glob("appendix/*.md")])

# Words that, in the same clause, say a literal is not this page's run result: a setting or a goal
# (allowed as typed), or the book's or the notes' number (never typed: glued from the registry).
SETTINGS = ("阈值", "要求", "学习率", "系数")
BOOK_WORDS = ("书中", "书上", "原书", "笔记", "论文")
ATTRIBUTIONS = (*BOOK_WORDS, *SETTINGS)
REGISTRY = REPO / "d2lcore" / "sources.yml"
# Words that make a clause about accuracy, error or loss.
METRIC_WORDS = re.compile(
    r"精度|准确率|正确率|错误率|误差|损失|accuracy|acc\b|error|loss", re.IGNORECASE)

_ACCURACY_LIKE = re.compile(r"(?<![\d.])0\.[1-9]\d+(?!\d|\.\d)")
_OTHER_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d{2,}(?!\d|\.\d)")
_PERCENT = re.compile(r"(?<![\d.])\d+(?:\.\d+)?\s?[%％]")
_CLAUSE_BREAK = re.compile(r"[，。；！？;!?|\n]|,(?!\d)")
_MARKER = re.compile(r"^<!--\s*literal:\s*(?P<numbers>[^—]*?)\s+—\s+(?P<why>\S.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\s*(?P<info>\S*)")
# Fenced blocks whose content is not prose.
_CODE_INFOS = ("{code-cell}", "{code-block}", "{code}", "{math}", "{raw}", "{glue:math}")


@dataclass(frozen=True)
class Finding:
    line: int
    literal: str
    clause: str
    book: bool = False  # attributed to the book or the notes, but typed

    def __str__(self) -> str:
        why = " (the book's or the notes' number: glue it from d2lcore/sources.yml)" if self.book else ""
        return f"line {self.line}: {self.literal!r} in {self.clause.strip()!r}{why}"


def _strip_inline(line: str) -> str:
    """Blank out inline maths, inline code and roles (``{glue:text}`key:.3f```), link targets
    and HTML comments, keeping the rest of the line as it is."""
    line = re.sub(r"<!--.*?-->", " ", line)
    line = re.sub(r"\$\$.*?\$\$", " ", line)
    line = re.sub(r"\$[^$]*\$", " ", line)
    line = re.sub(r"(\{[\w:.-]+\})?`[^`]*`", " ", line)
    line = re.sub(r"\]\([^)]*\)", "] ", line)
    return re.sub(r"https?://\S+", " ", line)


def prose_lines(markdown: str) -> list[tuple[int, str]]:
    """The prose of a MyST page as ``(line number, text)``: front matter, code cells, fenced code,
    display maths, directive options, MyST comment lines and HTML comments removed (``<!--
    literal: ... -->`` marker lines are returned as they are, for :func:`find_literals`)."""
    lines = markdown.split("\n")
    out: list[tuple[int, str]] = []
    i = 0
    if lines and lines[0].strip() == "---":  # Jupytext front matter
        i = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), len(lines)) + 1
    stack: list[tuple[str, bool]] = []  # open fences: (fence, is_code)
    in_options = False
    in_math = False
    for number, line in enumerate(lines[i:], start=i + 1):
        fence = _FENCE.match(line)
        if stack and stack[-1][1]:  # inside code: only its own closing fence matters
            if fence and not fence["info"] and fence["fence"][0] == stack[-1][0][0] \
                    and len(fence["fence"]) >= len(stack[-1][0]):
                stack.pop()
            continue
        if fence:
            closes = (not fence["info"] and stack and fence["fence"][0] == stack[-1][0][0]
                      and len(fence["fence"]) >= len(stack[-1][0]))
            if closes:
                stack.pop()
            else:
                info = fence["info"]
                is_code = not info.startswith("{") or info.startswith(_CODE_INFOS)
                stack.append((fence["fence"], is_code))
                in_options = not is_code
            continue
        if in_options:  # a directive's ":key: value" lines or its "---" YAML block
            if line.startswith(":") or line.strip() == "---":
                continue
            in_options = False
        if in_math:  # display maths: until the line that closes it
            in_math = line.count("$$") % 2 == 0
            continue
        if line.count("$$") % 2:  # a line that opens display maths
            in_math = True
            continue
        if _MARKER.match(line):
            out.append((number, line))
            continue
        if line.startswith("%"):  # a MyST comment
            continue
        out.append((number, _strip_inline(line)))
    return out


def _candidates(clause: str) -> list[str]:
    found = [m.group() for m in _ACCURACY_LIKE.finditer(clause)]
    if METRIC_WORDS.search(clause):
        found += [m.group() for m in _OTHER_DECIMAL.finditer(clause) if m.group() not in found]
        found += [m.group().replace(" ", "") for m in _PERCENT.finditer(clause)]
    return found


def find_literals(markdown: str) -> list[Finding]:
    """Accuracy- or loss-like literals in the prose of ``markdown`` that are neither attributed
    nor listed by a ``<!-- literal: ... -->`` marker; a marker whose literal is not in its paragraph is
    reported as a finding too."""
    findings: list[Finding] = []
    marker: tuple[int, set[str], set[str]] | None = None  # (its line, listed, seen)

    def close_marker() -> None:
        nonlocal marker
        if marker is not None:
            for literal in sorted(marker[1] - marker[2]):
                findings.append(Finding(marker[0], literal, "<!-- literal: --> not in the paragraph below"))
        marker = None

    for number, line in prose_lines(markdown):
        m = _MARKER.match(line)
        if m:
            close_marker()
            marker = (number, {s for s in re.split(r"[,\s]+", m["numbers"]) if s}, set())
            continue
        if not line.strip():  # a paragraph ends (or the marker is not directly above one)
            close_marker()
            continue
        if marker is not None:
            marker[2].update(x for x in marker[1]
                             if re.search(rf"(?<![\d.]){re.escape(x)}(?![\d])", line))
        for clause in _CLAUSE_BREAK.split(line):
            if any(word in clause for word in SETTINGS):
                continue
            book = any(word in clause for word in BOOK_WORDS)
            for literal in _candidates(clause):
                if book:  # the book's or the notes' number: glued from d2lcore/sources.yml
                    findings.append(Finding(number, literal, clause, book=True))
                elif marker is None or literal not in marker[1]:
                    findings.append(Finding(number, literal, clause))
    close_marker()
    return findings


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_types_no_run_result(page: Path) -> None:
    findings = find_literals(page.read_text(encoding="utf-8"))
    assert not findings, (
        f"{page.relative_to(REPO)} types numbers into its prose that look like run results; "
        "glue them from the run, or attribute/mark them (CONTRIBUTING.md, 'Numbers in prose'):\n"
        + "\n".join(str(f) for f in findings))


def test_pages_are_found() -> None:
    assert len(PAGES) >= 20, PAGES


# --- the checker itself, on small strings ------------------------------------------------

PAGE = """---
jupytext:
  text_representation:
    extension: .md
---

# 4.3 Title

{body}

```{{code-cell}} ipython3
print(f"test acc {{0.857:.3f}}, 12.5% error")
```
"""


def literals(body: str) -> list[str]:
    return [f.literal for f in find_literals(PAGE.format(body=body))]


@pytest.mark.parametrize("body, expected", [
    ("默认初始化得到 0.857 和 0.847。", ["0.857", "0.847"]),            # planted run results
    ("最后一个周期的损失为 0.047。", ["0.047"]),                           # a loss below 0.1
    ("训练损失降到 2.31，", ["2.31"]),                                      # a loss above 1
    ("测试精度提高了 3.5%。", ["3.5%"]),                                    # a percentage of accuracy
    ("The test accuracy is 0.857.", ["0.857"]),                             # an English full stop
    ("- 测试精度约 0.83；\n- 阈值 0.838。", ["0.83"]),                      # one clause per list item
    ("阈值 0.823，我们得到 0.861。", ["0.861"]),                            # a setting is per clause
    ("书中报告 0.823，笔记说 0.85。", ["0.823", "0.85"]),                   # typed book/notes numbers
    ("书中的测试精度约 {glue:text}`book-acc:.2f`。", []),                   # glued from the registry
    ("测试精度为 {glue:text}`acc-mlp:.3f`。", []),                          # glued: rendered from the run
    ("标准差 $\\approx 0.0206$，代码里是 `0.857`。", []),                  # maths and inline code
    ("$$\n\\mathrm{acc} = 0.857\n$$", []),                                  # display maths
    ("只用 10% 的数据，学习率 0.03，阈值 0.84。", []),                      # a setting and a goal
    ("权重乘以 0.01。", []),                                                # not accuracy-like, no metric
    ("平均图像精度远高于 0.1。", []),                                       # one decimal: chance level
    ("<!-- literal: 1.51, 0.49 — Xavier's factors -->\n分别约为 1.51 和 0.49。", []),  # marked
    ("<!-- literal: 0.25 — sigmoid'(0) -->\n导数不超过 0.5。", ["0.25"]),  # stale marker
    ("<!-- literal: 0.49 — worked example -->\n\n上一段。\n\n下一段的 0.49。", ["0.49", "0.49"]),  # not adjacent
    ("<!-- literal: 0.857 -->\n得到 0.857。", ["0.857"]),                 # a marker must say why
    ("% literal: 0.857 — a MyST comment is not a marker\n得到 0.857。", ["0.857"]),
], ids=["run-results", "small-loss", "large-loss", "percent", "full-stop", "list-items", "per-clause",
         "book-typed", "book-glued", "glued",
        "inline-maths-code", "display-maths", "setting-goal", "not-a-metric", "one-decimal",
        "marked", "stale-marker", "marker-not-adjacent", "marker-without-reason", "myst-comment"])
def test_checker_finds_typed_literals(body: str, expected: list[str]) -> None:
    assert sorted(literals(body)) == sorted(expected)


def test_checker_skips_code_cells_and_solution_directives_keep_prose() -> None:
    body = ("```{solution-start} ex-4-3-1\n:class: dropdown\n```\n"
            "两次运行分别得到 0.869 和 0.844。\n"
            "```{code-cell} ipython3\n---\ntags: [remove-input]\n---\nassert acc > 0.84\n```\n"
            "```{solution-end}\n```")
    found = find_literals(PAGE.format(body=body))
    assert [f.literal for f in found] == ["0.869", "0.844"]
    assert found[0].line == PAGE.format(body=body).split("\n").index("两次运行分别得到 0.869 和 0.844。") + 1


# --- the book's and the notes' numbers come from the registry --------------------------------

_BOOK_CALL = re.compile(r"""d2l\.book_number\(\s*["']([^"']+)["']""")
_BOOK_GLUE = re.compile(r"""glue\(\s*["']([\w-]+)["']\s*,\s*d2l\.book_number\(\s*["']([^"']+)["']""")
_GLUE_ROLE = re.compile(r"\{glue:text\}`([\w-]+)(?::[^`]*)?`")


def _registry() -> dict[str, dict]:
    import yaml
    return yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))


def book_number_problems(markdown: str, registry: dict[str, dict]) -> list[str]:
    """Where a page's source takes the book's numbers otherwise than from the registry: a key
    that is not in it, a ``book_test_acc=`` that is not ``d2l.book_number(...)``, a ``book-``
    glue key set from anything else, or a figure's value without 约 in front of it."""
    problems = [f"d2l.book_number({key!r}): no such key in d2lcore/sources.yml"
                for key in _BOOK_CALL.findall(markdown) if key not in registry]
    problems += [f"book_test_acc={m.group(1)}...: pass d2l.book_number(\"<section>/test-acc\")"
                 for m in re.finditer(r"book_test_acc=(?!d2l\.book_number\()(\S{0,20})", markdown)]
    glued = dict(_BOOK_GLUE.findall(markdown))
    names = dict(re.findall(r"""(\w+)\s*=\s*d2l\.book_number\(\s*["']([^"']+)["']""", markdown))
    glued.update({glue_key: names[name] for glue_key, name in re.findall(
        r"""glue\(\s*["']((?:book|notes)-[\w-]*)["']\s*,\s*(\w+)\s*[,)]""", markdown) if name in names})
    for m in re.finditer(r"""glue\(\s*["']((?:book|notes)-[\w-]*)["']""", markdown):
        if m.group(1) not in glued:
            problems.append(f"glue({m.group(1)!r}, ...) must glue d2l.book_number(...)")
    for m in _GLUE_ROLE.finditer(markdown):
        key = glued.get(m.group(1))
        if key in registry and registry[key].get("source") == "figure" \
                and "约" not in markdown[max(0, m.start() - 3):m.start()]:
            problems.append(f"{m.group()}: {key} is read off the book's figure; write 约 before it")
    return problems


@pytest.mark.parametrize("page", [*PAGES, REPO / "results.md"], ids=lambda p: p.stem)
def test_book_numbers_come_from_the_registry(page: Path) -> None:
    problems = book_number_problems(page.read_text(encoding="utf-8"), _registry())
    assert not problems, f"{page.relative_to(REPO)}:\n" + "\n".join(problems)


def test_every_recorded_section_takes_book_test_acc_from_the_registry() -> None:
    registry = _registry()
    recorded = {m.group(1) for page in PAGES
                for m in re.finditer(r"book_number\(\s*[\"'](\d+\.\d+)/test-acc", page.read_text(encoding="utf-8"))}
    assert recorded == {k.split("/")[0] for k in registry if k.endswith("/test-acc")}, recorded


@pytest.mark.parametrize("source, expected", [
    ('d2l.record("6.6", "LeNet", h, book_test_acc=0.779)', ["book_test_acc=0.779"]),
    ('d2l.record("6.6", "LeNet", h, book_test_acc=d2l.book_number("6.6/test-acc"))', []),
    ('x = d2l.book_number("6.6/test-los")', ["'6.6/test-los'"]),
    ('glue("book-acc", 0.779, display=False)', ["glue('book-acc'"]),
    ('acc = d2l.book_number("6.6/test-acc")\nglue("book-acc", acc, display=False)', []),
    ('acc = 0.779\nglue("book-acc", acc, display=False)', ["glue('book-acc'"]),
    ('glue("book-acc", d2l.book_number("3.6/test-acc"), display=False)\n书中约 {glue:text}`book-acc:.2f`', []),
    ('glue("book-acc", d2l.book_number("3.6/test-acc"), display=False)\n书中为 {glue:text}`book-acc:.2f`', ["write 约"]),
], ids=["typed-record", "registry-record", "unknown-key", "typed-glue", "glued-name", "typed-name",
         "figure-with-yue", "figure-without-yue"])
def test_book_number_checker(source: str, expected: list[str]) -> None:
    registry = {"6.6/test-acc": {"source": "printed"}, "3.6/test-acc": {"source": "figure"}}
    problems = book_number_problems(source, registry)
    assert len(problems) == len(expected) and all(e in p for e, p in zip(expected, problems)), problems


# --- the book's terms (d2l-zh 2.0) --------------------------------------------------------

# The book's term for a concept: (its alternatives, the page that introduces the concept). The
# first alternative is named exactly once, on that page, in a line with the book's term; the
# others not at all. Code comments count: they are Chinese too.
GLOSSARY = {
    "精度": (("准确率", "正确率"), "ch03_04_softmax_regression"),
    "迭代周期": (("轮次",), "ch03_02_linear_regression_scratch"),
    "暂退法": (("丢弃法",), "ch04_06_dropout"),
    "汇聚": (("池化",), "ch06_05_pooling"),
    "批量规范化": (("批量归一化", "批归一化", "批标准化", "批量标准化"), "ch07_05_batch_norm"),
}
TERM_PAGES = [*PAGES, REPO / "results.md", REPO / "intro.md"]


def term_problems(pages: dict[str, str]) -> list[str]:
    """Where ``pages`` (page stem -> MyST source) part from :data:`GLOSSARY`."""
    problems = []
    for term, (alternatives, home) in GLOSSARY.items():
        for i, alt in enumerate(alternatives):
            hits = [(stem, line) for stem, text in pages.items()
                    for line in text.split("\n") if alt in line for _ in range(line.count(alt))]
            wanted = 1 if i == 0 else 0
            if len(hits) != wanted or any(stem != home or term not in line for stem, line in hits):
                where = "; ".join(f"{stem}: {line.strip()[:60]}" for stem, line in hits) or "nowhere"
                problems.append(f"{alt!r} (the book says {term!r}) must appear {wanted} time(s), "
                                f"{'in ' + home + ' beside ' + repr(term) if wanted else ''}; found: {where}")
    return problems


def test_pages_use_the_books_terms() -> None:
    problems = term_problems({p.stem: p.read_text(encoding="utf-8") for p in TERM_PAGES})
    assert not problems, "\n".join(problems)


def test_term_checker() -> None:
    good = {"ch03_04_softmax_regression": "精度（accuracy，也常译作准确率）",
            "ch03_02_linear_regression_scratch": "迭代周期（epoch），也称轮次",
            "ch04_06_dropout": "暂退法（dropout，也译作丢弃法）",
            "ch06_05_pooling": "汇聚层（pooling layer，也叫池化层）",
            "ch07_05_batch_norm": "批量规范化（batch normalization，也译作批量归一化）"}
    assert term_problems(good) == []
    assert len(term_problems({**good, "ch04_02_mlp_scratch": "测试准确率为 0.8"})) == 1   # a second use
    assert len(term_problems({**good, "ch03_04_softmax_regression": "精度（accuracy）"})) == 1  # never named
    assert len(term_problems({**good, "ch07_06_resnet": "批归一化层"})) == 1            # another synonym
    assert len(term_problems({**good, "ch04_06_dropout": "丢弃法（dropout）"})) == 1    # not beside the term


# --- emphasis that CommonMark renders ------------------------------------------------------

def _is_space_or_punct(ch: str) -> bool:
    import unicodedata
    return ch == "" or ch.isspace() or unicodedata.category(ch)[0] in "PS"


def literal_asterisks(markdown: str) -> list[str]:
    """``**`` delimiters in the prose that CommonMark leaves as literal asterisks: a ``**`` whose
    inner side is punctuation (（，“…) must have whitespace or punctuation on its outer side,
    which Chinese text never has (按**（猫）**的 shows the asterisks; write 按（**猫**）的)."""
    problems = []
    raw = markdown.split("\n")
    for number, _ in prose_lines(markdown):
        # inline code, maths and roles count as letters next to a delimiter
        line = re.sub(r"(\{[\w:.-]+\})?`[^`]*`|\$[^$]*\$", "X", raw[number - 1])
        stars = [m.start() for m in re.finditer(r"(?<!\*)\*\*(?!\*)", line)]
        for k, pos in enumerate(stars):
            opening = k % 2 == 0
            before, after = line[pos - 1:pos] if pos else "", line[pos + 2:pos + 3]
            inner, outer = (after, before) if opening else (before, after)
            if inner.isspace() or inner == "" or (_is_space_or_punct(inner) and not _is_space_or_punct(outer)):
                problems.append(f"line {number}: {line[max(0, pos - 8):pos + 10]!r}")
    return problems


@pytest.mark.parametrize("page", TERM_PAGES, ids=lambda p: p.stem)
def test_bold_renders(page: Path) -> None:
    problems = literal_asterisks(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.relative_to(REPO)}: ** that CommonMark shows as asterisks:\n" + "\n".join(problems)


@pytest.mark.parametrize("body, bad", [
    ("按**（猫，鸡，狗）**的顺序", 2), ("按（**猫，鸡，狗**）的顺序", 0), ("**与书的一处不同：初始化。** 书中", 0),
    ("一个**隐藏层**。", 0), ("它**“记住”**了", 2), ("a **bold** word", 0), ("** 空格**", 1),
    ("- **`net`** 返回", 0),
], ids=["punct-inside", "punct-outside", "punct-then-space", "plain", "quotes-inside", "english", "space-inside",
        "inline-code"])
def test_literal_asterisk_checker(body: str, bad: int) -> None:
    assert len(literal_asterisks(PAGE.format(body=body))) == bad


# --- code comments in the notebooks are Chinese, as in d2l-zh --------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


def english_comments(markdown: str) -> list[str]:
    """Comments in code cells written in English: no Chinese character and three or more
    English words (identifiers with digits and maths such as ``# (|B|, 1)`` are fine)."""
    found, in_code = [], False
    for number, line in enumerate(markdown.split("\n"), start=1):
        if line.startswith("```{code-cell}"):
            in_code = True
            continue
        if in_code and line.strip() == "```":
            in_code = False
            continue
        m = re.search(r"(?:^|\s)#\s(.*)$", line) if in_code else None
        if m and not _CJK.search(m.group(1)) and len(re.findall(r"\b[A-Za-z]{3,}\b", m.group(1))) >= 3:
            found.append(f"line {number}: {m.group(0).strip()}")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_code_comments_are_chinese(page: Path) -> None:
    found = english_comments(page.read_text(encoding="utf-8"))
    assert not found, f"{page.relative_to(REPO)}: comments in English (write them in Chinese):\n" + "\n".join(found)


def test_english_comment_checker() -> None:
    cell = "```{code-cell} ipython3\nx = 1  # %s\n```\n"
    assert english_comments(cell % "the loss falls from the start") == ["line 2: # the loss falls from the start"]
    assert english_comments(cell % "损失从一开始就下降") == []
    assert english_comments(cell % "(|B|, 1)") == [] and english_comments(cell % "conv1, pool1, conv2") == []
    assert english_comments("文字 # the loss falls from the start\n") == []   # prose, not a code cell
