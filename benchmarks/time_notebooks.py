"""Time every notebook of the book (``chapters/**/*.md``) in the quick mode, and optionally the
full mode, and write the table the status page shows.

Each notebook is converted with jupytext into ``_build/timings/<mode>/<chapter>/`` and executed
there in a fresh kernel (as ``make nbtest`` does), with ``D2LCORE_QUICK`` set for the quick mode
and unset for the full mode. For each run it records

- the execution time: the sum of the code cells' times (what the quick-mode budget of 15 s per
  notebook and 5 minutes in all is about; kernel start-up is left out and reported apart),
- the kernel's peak resident memory (``VmHWM`` of the kernel process, read after the last
  cell; the budget is 3 GiB),
- whether every cell ran, and the first error otherwise.

Results accumulate in ``benchmarks/notebook_times.json`` (a quick-only run keeps the full-mode
numbers of an earlier run, with their dates), and the table is written to
``benchmarks/notebook_times.md`` (the status page includes it) and printed.

    .venv/bin/python benchmarks/time_notebooks.py              # quick mode, every notebook
    .venv/bin/python benchmarks/time_notebooks.py --full       # quick, then full mode
    .venv/bin/python benchmarks/time_notebooks.py --modes full --only ch06
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = REPO / "chapters"
OUT_JSON = REPO / "benchmarks" / "notebook_times.json"
OUT_MD = REPO / "benchmarks" / "notebook_times.md"

QUICK_NOTEBOOK_S = 15.0  # per notebook, quick mode, on 2 cores
QUICK_TOTAL_S = 5 * 60.0  # every notebook together, quick mode
FULL_TOTAL_S = 45 * 60.0  # every notebook together, full mode
PEAK_RSS_MIB = 3 * 1024.0  # any notebook, either mode


def notebooks(only: list[str]) -> list[Path]:
    """The book's pages in chapter order, filtered by substrings of their paths."""
    found = sorted(CHAPTERS.glob("**/*.md"))
    if only:
        found = [p for p in found if any(s in str(p.relative_to(REPO)) for s in only)]
    return found


def title(md: Path) -> str:
    """The page's first level-1 heading (``# 6.6 卷积神经网络（LeNet）``), else its file name."""
    for line in md.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return md.stem


def peak_rss_mib(pid: int) -> float | None:
    """The peak resident memory of a live process (Linux ``VmHWM``), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(m.group(1)) / 1024 if m else None


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, with None, remove) environment variables for the kernels started inside."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_one(md: Path, mode: str, build: Path, timeout: int) -> dict[str, Any]:
    """Execute one page in a fresh kernel; return its times, peak memory and status."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    rel = md.relative_to(CHAPTERS)
    workdir = build / mode / rel.parent
    workdir.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(md)
    jupytext.write(nb, workdir / (md.stem + ".ipynb"))

    cells: list[float] = []
    started: list[float] = []
    peak: list[float] = []
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )  # fmt: skip

    def on_start(cell: Any, cell_index: int) -> None:
        started.append(time.perf_counter())

    def on_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        cells.append(time.perf_counter() - started[-1])
        rss = peak_rss_mib(_kernel_pid(client))
        if rss is not None:
            peak.append(rss)

    client.on_cell_start = on_start
    client.on_cell_executed = on_executed
    error = None
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellTimeoutError as err:
        error = f"timeout ({timeout} s per cell): {str(err).splitlines()[0][:200]}"
    except CellExecutionError as err:
        error = _first_error(err)
    except Exception as err:  # a kernel that dies, a conversion error: recorded, not fatal
        error = f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"
    wall = time.perf_counter() - t0
    exec_s = sum(cells)
    return {
        "title": title(md),
        "exec_s": round(exec_s, 2),
        "startup_s": round(max(wall - exec_s, 0.0), 2),
        "cells": len(cells),
        "peak_rss_mib": round(max(peak), 1) if peak else None,
        "ok": error is None,
        "error": error,
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _kernel_pid(client: Any) -> int:
    km = getattr(client, "km", None)
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return int(getattr(process, "pid", -1) or -1)


def _first_error(err: Exception) -> str:
    ename = getattr(err, "ename", type(err).__name__)
    evalue = str(getattr(err, "evalue", "") or "").splitlines()
    return f"{ename}: {evalue[0][:200] if evalue else ''}"


# --------------------------------------------------------------------------------------------
# The table.


def _cell_s(r: dict[str, Any] | None, budget: float | None) -> str:
    if r is None:
        return "–"
    text = f"{r['exec_s']:.1f}"
    if not r["ok"]:
        return f"{text} ✗"
    if budget is not None and r["exec_s"] > budget:
        return f"**{text}** ⚠"
    return text


def _cell_rss(r: dict[str, Any] | None) -> str:
    if r is None or r.get("peak_rss_mib") is None:
        return "–"
    v = r["peak_rss_mib"]
    return f"**{v:,.0f}** ⚠" if v > PEAK_RSS_MIB else f"{v:,.0f}"


def markdown(data: dict[str, Any]) -> str:
    rows = [
        "| 笔记本 | 快速模式 (s) | 峰值内存 (MiB) | 完整模式 (s) | 峰值内存 (MiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    totals = {"quick": 0.0, "full": 0.0}
    counts = {"quick": 0, "full": 0}
    failures: list[str] = []
    pages = [str(p.relative_to(REPO)) for p in notebooks([])]
    for key in pages:
        entry = data["notebooks"].get(key, {})
        q, f = entry.get("quick"), entry.get("full")
        name = (q or f or {}).get("title") or title(REPO / key)
        rows.append(
            f"| {name} (`{Path(key).stem}`) | {_cell_s(q, QUICK_NOTEBOOK_S)} | {_cell_rss(q)} | "
            f"{_cell_s(f, None)} | {_cell_rss(f)} |"
        )
        for mode, r in (("quick", q), ("full", f)):
            if r is not None:
                totals[mode] += r["exec_s"]
                counts[mode] += 1
                if not r["ok"]:
                    failures.append(f"- `{Path(key).stem}` ({mode}): {r['error']}")
    n = len(pages)

    def total(mode: str, budget: float) -> str:
        if counts[mode] == 0:
            return "–"
        t = totals[mode]
        mark = " ⚠" if t > budget else ""
        partial = f"（{counts[mode]}/{n} 个）" if counts[mode] < n else ""
        return f"**{t / 60:.1f} min**{mark}{partial}"

    rows.append(f"| **合计** | {total('quick', QUICK_TOTAL_S)} | | {total('full', FULL_TOTAL_S)} | |")
    notes = [
        "",
        "用时是各代码单元执行时间之和（不含内核启动）；峰值内存是内核进程的峰值常驻内存（VmHWM）。"
        f"预算：快速模式每个笔记本 ≤ {QUICK_NOTEBOOK_S:.0f} s、合计 ≤ {QUICK_TOTAL_S / 60:.0f} min，"
        f"完整模式合计 ≤ {FULL_TOTAL_S / 60:.0f} min，峰值内存 ≤ {PEAK_RSS_MIB / 1024:.0f} GiB；"
        "⚠ 表示超出预算，✗ 表示执行出错。",
    ]
    for mode in ("quick", "full"):
        run = data.get("runs", {}).get(mode)
        if run:
            notes.append(
                f"{'快速' if mode == 'quick' else '完整'}模式测于 {run['when']}，{run['cpus']} 个 CPU 核，"
                f"开始时负载（load average）{run['load_start']:.1f}，结束时 {run['load_end']:.1f}"
                "（同一台机器上还有其他任务时，用时会偏长）。"
            )
    if failures:
        notes += ["", "出错的笔记本：", "", *failures]
    return "\n".join(rows + notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also run the full mode (long)")
    parser.add_argument("--modes", default=None, help="comma-separated modes, e.g. 'full'")
    parser.add_argument("--only", action="append", default=[],
                        help="run only pages whose path contains this (repeatable)")  # fmt: skip
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds per cell (default 600 quick, 3600 full)")  # fmt: skip
    parser.add_argument("--build", type=Path, default=REPO / "_build" / "timings")
    parser.add_argument("--json", type=Path, default=OUT_JSON)
    parser.add_argument("--md", type=Path, default=OUT_MD)
    args = parser.parse_args(argv)
    modes = args.modes.split(",") if args.modes else ["quick"] + (["full"] if args.full else [])
    bad = [m for m in modes if m not in ("quick", "full")]
    if bad:
        parser.error(f"--modes: unknown mode(s) {bad}; use quick and/or full")
    pages = notebooks(args.only)
    if not pages:
        parser.error(f"no notebook under {CHAPTERS} matches {args.only}")

    data: dict[str, Any] = {"notebooks": {}, "runs": {}}
    if args.json.is_file():
        with contextlib.suppress(ValueError):
            data = json.loads(args.json.read_text(encoding="utf-8"))
    # keep the book's order, and drop pages that no longer exist
    current = {str(p.relative_to(REPO)) for p in notebooks([])}
    data["notebooks"] = {k: v for k, v in data.get("notebooks", {}).items() if k in current}

    data_root = os.environ.get("D2LCORE_DATA") or str(REPO.parent / "shared" / "data")
    for mode in modes:
        timeout = args.timeout or (600 if mode == "quick" else 3600)
        load_start = os.getloadavg()[0]
        with environment(
            D2LCORE_QUICK="1" if mode == "quick" else None,
            D2LCORE_DATA=str(Path(data_root).resolve()) if Path(data_root).is_dir() else None,
            D2LCORE_RESULTS=str((args.build / mode / "results").resolve()),
            MPLCONFIGDIR=str((args.build / ".mplconfig").resolve()),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        ):
            for md in pages:
                key = str(md.relative_to(REPO))
                r = run_one(md, mode, args.build, timeout)
                data["notebooks"].setdefault(key, {})[mode] = r
                status = "ok" if r["ok"] else f"FAILED: {r['error']}"
                print(f"{mode:5s} {r['exec_s']:7.1f} s  {r['peak_rss_mib'] or 0:7.0f} MiB  "
                      f"{md.stem}  {status}", flush=True)  # fmt: skip
        data["runs"][mode] = {
            "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(), "load_start": load_start, "load_end": os.getloadavg()[0],
            "pages": len(pages),
        }  # fmt: skip
    order = [str(p.relative_to(REPO)) for p in notebooks([])]
    data["notebooks"] = {k: data["notebooks"][k] for k in order if k in data["notebooks"]}

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(data)
    args.md.write_text(text, encoding="utf-8")
    print()
    print(text)
    ran = [str(p.relative_to(REPO)) for p in pages]
    failed = [k for k in ran for m in modes if not data["notebooks"][k][m]["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
