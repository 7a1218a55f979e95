"""Where the warehouse lives and how files get there: a local folder or an object-store URL,
both through one pyarrow filesystem, and an all-or-nothing write of one Parquet file."""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from pyarrow import fs as pafs

EVENTS = "events"
SNAPSHOTS = "snapshots"


@dataclass(frozen=True)
class Warehouse:
    """The filesystem and the root path inside it. `uri` is what DuckDB is pointed at."""

    filesystem: pafs.FileSystem
    root: str
    is_local: bool

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def uri(self, *parts: str) -> str:
        if self.is_local:
            return self.path(*parts)
        # The location was a URL (s3://bucket/prefix…): give DuckDB/engines the URL form back.
        scheme = settings.ANALYTICS_WAREHOUSE_DIR.split("://", 1)[0]
        return f"{scheme}://{self.path(*parts)}"

    def exists(self, *parts: str) -> bool:
        return self.filesystem.get_file_info(self.path(*parts)).type != pafs.FileType.NotFound

    def write_table(self, table: pa.Table, *parts: str) -> None:
        """Write `table` to `parts` whole or not at all. Locally: a temporary file in the same
        folder, then a rename over the target (atomic on POSIX, and it replaces an older file
        of the same name). On an object store one PUT (or a completed multipart upload) is
        already all-or-nothing, so the file is written under its final key directly."""
        target = self.path(*parts)
        folder = target.rsplit("/", 1)[0]
        self.filesystem.create_dir(folder, recursive=True)
        if not self.is_local:
            pq.write_table(table, target, filesystem=self.filesystem, compression="zstd")
            return
        temporary = f"{folder}/.tmp-{uuid.uuid4().hex}.parquet"
        try:
            pq.write_table(table, temporary, filesystem=self.filesystem, compression="zstd")
            self.filesystem.move(temporary, target)
        finally:
            if self.filesystem.get_file_info(temporary).type != pafs.FileType.NotFound:
                self.filesystem.delete_file(temporary)

    def delete_file(self, path: str) -> None:
        self.filesystem.delete_file(path)

    def delete_dir(self, *parts: str) -> None:
        if self.exists(*parts):
            self.filesystem.delete_dir(self.path(*parts))


@functools.cache
def _remote(location: str) -> tuple[pafs.FileSystem, str]:
    # One filesystem object per location and process: it keeps its connections (and the
    # in-memory mock:// store the tests use) between calls.
    return pafs.FileSystem.from_uri(location)


def warehouse() -> Warehouse:
    """The warehouse named by ANALYTICS_WAREHOUSE_DIR: a local folder, or a URL such as
    s3://bucket/prefix (gs://, abfs:// … whatever pyarrow.fs.FileSystem.from_uri knows;
    credentials come from the usual environment/instance configuration of that store)."""
    location = str(settings.ANALYTICS_WAREHOUSE_DIR)
    if "://" in location and not location.startswith("file://"):
        filesystem, root = _remote(location)
        return Warehouse(filesystem=filesystem, root=root.rstrip("/"), is_local=False)
    root = location.removeprefix("file://")
    return Warehouse(filesystem=pafs.LocalFileSystem(), root=os.path.abspath(root), is_local=True)
