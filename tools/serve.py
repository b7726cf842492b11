"""Serve the built website on 127.0.0.1, gzip-compressed (``make serve``).

Python's ``http.server`` sends every file as it is: a chapter page cost about 4 MB. This server
compresses text (HTML, CSS, JavaScript, JSON, SVG, the search index) with gzip when the browser
asks for it (``Accept-Encoding: gzip``), as any web host does; fonts, images and archives go
out as they are. Compressed files are kept in memory while they are unchanged on disk.

    python tools/serve.py --directory _build/html --port 8000
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import threading
from pathlib import Path

#: what is worth compressing (fonts in woff2, images and zips are compressed already)
COMPRESSIBLE = {".html", ".htm", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".xml",
                ".map", ".md", ".ipynb", ".ttf", ".otf", ".ico", ".woff"}
#: smaller files are sent as they are
MIN_SIZE = 512


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` that answers GET and HEAD with gzip where it pays."""

    _cache: dict[tuple[str, int, int], bytes] = {}
    _lock = threading.Lock()
    quiet = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if not self.quiet:
            super().log_message(format, *args)

    def _accepts_gzip(self) -> bool:
        header = self.headers.get("Accept-Encoding", "")
        return any(part.split(";")[0].strip() == "gzip" for part in header.split(","))

    def send_head(self):  # noqa: ANN201 (http.server's own signature)
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            index = path / "index.html"
            if not self.path.split("?")[0].endswith("/") or not index.is_file():
                return super().send_head()
            path = index
        if (not path.is_file() or path.suffix.lower() not in COMPRESSIBLE
                or not self._accepts_gzip()):
            return super().send_head()
        stat = path.stat()
        if stat.st_size < MIN_SIZE:
            return super().send_head()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            body = self._cache.get(key)
        if body is None:
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            with self._lock:
                self._cache[key] = body
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
        self.end_headers()
        import io

        return io.BytesIO(body)


def make_server(directory: str | os.PathLike[str], port: int = 0,
                host: str = "127.0.0.1", quiet: bool = False) -> http.server.ThreadingHTTPServer:
    """A server of ``directory`` (not started; ``port=0`` picks a free port)."""
    if not Path(directory, "index.html").is_file():
        raise FileNotFoundError(f"no index.html in {directory}: build the website first "
                                "(`make book` or `make book-strict`)")
    handler = functools.partial(GzipHandler, directory=str(directory))
    GzipHandler.quiet = quiet
    return http.server.ThreadingHTTPServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--directory", default="_build/html")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--bind", default="127.0.0.1")
    args = parser.parse_args()
    server = make_server(args.directory, args.port, args.bind)
    print(f"Serving {args.directory} at http://{args.bind}:{server.server_address[1]}/ (gzip)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
