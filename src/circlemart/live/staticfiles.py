"""hls.js as a static file: the copy `make install` fetched from the npm registry into
LIVE_NPM_DIR (`npm install --prefix var/npm hls.js@<pinned>`; not committed, no CDN), exposed as
`live/vendor/hls.min.js` (with its source map, which collectstatic's manifest storage resolves)
so collectstatic hashes, compresses and serves it like our own files.

Chromium has no native HLS: the live pages load it only when it exists
(`hls_js_available()`), and otherwise let the <video> element play the URL natively (Safari,
Android) or say it cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "live/vendor"
FILENAME = "hls.min.js"
STATIC_PATH = f"{PREFIX}/{FILENAME}"
# The script ends with `//# sourceMappingURL=hls.min.js.map`: the manifest storage insists on
# finding the map, so it is served beside the script.
FILENAMES = (FILENAME, f"{FILENAME}.map")


def hls_js_dir() -> Path:
    return Path(settings.LIVE_NPM_DIR) / "node_modules" / "hls.js" / "dist"


def hls_js_available() -> bool:
    """Both files, or none: the script without its map would fail collectstatic."""
    return all((hls_js_dir() / name).is_file() for name in FILENAMES)


class HlsJsFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(hls_js_dir()))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by collectstatic

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def _present(self) -> tuple[str, ...]:
        return FILENAMES if hls_js_available() else ()

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        many = find_all or kwargs.get("all")
        name = path.removeprefix(f"{PREFIX}/")
        if not path.startswith(f"{PREFIX}/") or name not in self._present():
            return [] if many else None
        found = str(hls_js_dir() / name)
        return [found] if many else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for name in self._present():
            yield name, self.storage
