"""Reading a CSV upload: twice (check, then write), as text, bounded in bytes and rows."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, BinaryIO, TextIO, cast


class Source:
    """The CSV as text lines, from the start, as often as needed (check, then write)."""

    def __init__(self, stream: TextIO | BinaryIO) -> None:
        self._spool: IO[bytes] | None = None
        if isinstance(stream, io.IOBase) and stream.seekable():
            self._stream: IO[Any] = stream
        else:  # a pipe or an upload: keep a copy on disk so it can be read twice
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
            while block := stream.read(1024 * 1024):
                self._spool.write(block.encode() if isinstance(block, str) else block)
            self._spool.seek(0)
            self._stream = self._spool
        self._is_text = isinstance(self._stream, io.TextIOBase)
        self._start = self._stream.tell()

    def size(self) -> int | None:
        """Bytes to read, when that can be known without reading."""
        if self._is_text:
            return None
        bom = self._stream.read(3) == b"\xef\xbb\xbf"  # not counted while reading
        end = self._stream.seek(0, io.SEEK_END)
        self._stream.seek(self._start)
        return int(end - self._start) - (3 if bom else 0)

    @contextmanager
    def lines(self) -> Iterator[Iterator[str]]:
        self._stream.seek(self._start)
        if self._is_text:
            yield _without_bom(cast(TextIO, self._stream))
            return
        text = io.TextIOWrapper(cast(BinaryIO, self._stream), encoding="utf-8-sig", newline="")
        try:
            yield iter(text)
        finally:
            text.detach()  # the caller's stream stays open

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    yield first.removeprefix("\ufeff")
    yield from iterator


class Reader:
    """CSV records with the physical line each starts on, bounded in bytes and rows."""

    def __init__(self, lines: Iterator[str], *, max_bytes: int, max_rows: int) -> None:
        self.bytes_read = 0
        self.rows = 0
        self.line = 0
        self.max_bytes, self.max_rows = max_bytes, max_rows
        self._csv = csv.reader(self._counted(lines))

    def _counted(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            self.bytes_read += len(line) if line.isascii() else len(line.encode())
            if self.bytes_read > self.max_bytes:
                raise TooLarge
            yield line

    def header(self) -> list[str] | None:
        for _line, values in self._records():
            return values
        return None

    def records(self) -> Iterator[tuple[int, list[str]]]:
        for line, values in self._records():
            self.rows += 1
            if self.rows > self.max_rows:
                raise TooManyRows
            yield line, values

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            start = self._csv.line_num + 1
            self.line = start
            values = next(self._csv, None)
            if values is None:
                return
            if any(value.strip() for value in values):  # blank lines, and ",,," from Excel
                yield start, values


class TooLarge(Exception):
    pass


class TooManyRows(Exception):
    pass
