"""One execution cache per mode.

The quick mode (``D2LCORE_QUICK=1``, read by ``d2lcore.config``) keeps its own execution cache
beside the full mode's (``_config.yml``'s ``execute.cache``, with ``_quick`` appended), so a
quick build (``make book-strict``) never shows full-mode outputs, and never replaces them.
"""

from __future__ import annotations

from pathlib import PurePath

from sphinx.application import Sphinx


def cache_path(path: str, quick: bool) -> str:
    """The execution cache of the mode: ``path`` in the full mode, ``<path>_quick`` in the
    quick mode."""
    if not quick or not path:
        return path
    p = PurePath(path)
    return str(p.with_name(f"{p.name}_quick"))


def _on_config_inited(app: Sphinx, config) -> None:  # noqa: ANN001
    from d2lcore import config as d2l_config

    config.nb_execution_cache_path = cache_path(config.nb_execution_cache_path,
                                                d2l_config.is_quick())


def setup(app: Sphinx) -> None:
    # Before MyST-NB reads the setting (builder-inited).
    app.connect("config-inited", _on_config_inited)
