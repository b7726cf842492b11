"""`make serve` (tools/serve.py): text goes out gzip-compressed when the browser accepts it."""

from __future__ import annotations

import gzip
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import serve  # noqa: E402


@pytest.fixture
def site(tmp_path: Path):
    (tmp_path / "index.html").write_text("<html>" + "目录 " * 2000 + "</html>", encoding="utf-8")
    (tmp_path / "app.js").write_text("const x = 1;\n" * 500)
    (tmp_path / "tiny.css").write_text("a{}")
    (tmp_path / "font.woff2").write_bytes(bytes(range(256)) * 20)
    server = serve.make_server(tmp_path, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _get(url: str, gzip_ok: bool) -> tuple[dict[str, str], bytes]:
    headers = {"Accept-Encoding": "gzip, deflate"} if gzip_ok else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as resp:
        return dict(resp.headers), resp.read()


def test_text_is_gzipped_when_accepted(site) -> None:
    root, url = site
    for name in ("", "app.js"):
        headers, body = _get(url + name, gzip_ok=True)
        assert headers.get("Content-Encoding") == "gzip", (name, headers)
        assert int(headers["Content-Length"]) == len(body)
        original = (root / (name or "index.html")).read_bytes()
        assert gzip.decompress(body) == original and len(body) < len(original) / 4


def test_plain_without_accept_encoding_and_for_fonts_and_tiny_files(site) -> None:
    root, url = site
    headers, body = _get(url + "app.js", gzip_ok=False)
    assert "Content-Encoding" not in headers and body == (root / "app.js").read_bytes()
    for name in ("font.woff2", "tiny.css"):
        headers, body = _get(url + name, gzip_ok=True)
        assert "Content-Encoding" not in headers and body == (root / name).read_bytes()


def test_no_site_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="build the website first"):
        serve.make_server(tmp_path)
