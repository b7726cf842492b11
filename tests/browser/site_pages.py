"""Helpers of the website checks (tests/browser): the repository root and the pages of _toc.yml.

These checks need a built site, a browser or a package index, so they run from their own
Makefile targets (`make site-test`, `make binder-test`), not from `make unit`."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _files(entries: list[dict]) -> list[str]:
    out: list[str] = []
    for entry in entries or []:
        if "file" in entry:
            out.append(entry["file"])
        out.extend(_files(entry.get("sections", [])))
    return out


def toc_pages() -> list[tuple[str | None, str]]:
    """Every page of _toc.yml in reading order, as (part caption or None for the root, docname)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages: list[tuple[str | None, str]] = [(None, toc["root"])]
    for part in toc.get("parts", []):
        pages.extend((part.get("caption"), f) for f in _files(part.get("chapters", [])))
    pages.extend((None, f) for f in _files(toc.get("chapters", [])))
    return pages


def source_of(docname: str) -> Path:
    """The source file of a page (``.md`` or ``.ipynb``)."""
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source for {docname!r} in {ROOT}")


def is_notebook(docname: str) -> bool:
    """True for pages with code cells (a Jupytext header with a kernelspec, or an .ipynb)."""
    path = source_of(docname)
    if path.suffix == ".ipynb":
        return True
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]
