"""plotly.js as a static file: the copy shipped inside the plotly wheel, exposed as
`analytics/vendor/plotly.min.js` so collectstatic hashes, compresses and serves it like our own
files (no CDN, and the version always matches the Python package that built the figures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "analytics/vendor"
FILENAME = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILENAME}"


def plotly_js_path() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / FILENAME


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(plotly_js_path().parent))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by collectstatic

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if path != STATIC_PATH:
            return [] if (find_all or kwargs.get("all")) else None
        found = str(plotly_js_path())
        return [found] if (find_all or kwargs.get("all")) else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FILENAME, self.storage
