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

1. its clause (the text between two of ，。；！？,;!?| or line breaks) names its source or role
   with one of ``ATTRIBUTIONS`` (书中 0.823; 笔记里的 0.5; 阈值 0.84; 学习率 0.03);
2. an HTML comment line directly above its paragraph lists it and says why (invisible in the
   book and in Jupyter): ``<!-- literal: 1.51, 0.49 — worked example: Xavier's two factors -->``.
   Every listed literal must occur in that paragraph (a stale marker fails too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([*(REPO / "chapters").glob("ch*/ch*.md"), *(REPO / "chapters").glob("appendix/*.md")])

# Words that, in the same clause, say a literal is not this page's run result.
ATTRIBUTIONS = ("书中", "书上", "原书", "笔记", "论文", "阈值", "要求", "学习率", "系数")
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

    def __str__(self) -> str:
        return f"line {self.line}: {self.literal!r} in {self.clause.strip()!r}"


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
            if any(word in clause for word in ATTRIBUTIONS):
                continue
            for literal in _candidates(clause):
                if marker is None or literal not in marker[1]:
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
    ("- 测试精度约 0.83；\n- 书中为 0.838。", ["0.83"]),                    # one clause per list item
    ("书中报告 0.823，我们得到 0.861。", ["0.861"]),                        # attribution is per clause
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
], ids=["run-results", "small-loss", "large-loss", "percent", "full-stop", "list-items", "per-clause", "glued",
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
