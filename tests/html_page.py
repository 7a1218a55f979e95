"""Read what a shopper sees on a rendered page: field errors, flash messages, visible text."""

from __future__ import annotations

from html.parser import HTMLParser

from django.http import HttpResponse


class _PageReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.field_errors: dict[str, list[str]] = {}
        self.messages: list[str] = []
        self.text: list[str] = []
        self._error_field: str | None = None
        self._collecting: list[str] | None = None
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag in {"script", "style"}:
            self._skipping += 1
        elif tag == "ul" and "errorlist" in classes:
            self._error_field = attributes.get("data-field") or ""
            self.field_errors.setdefault(self._error_field, [])
        elif tag == "li" and self._error_field is not None:
            self.field_errors[self._error_field].append("")
            self._collecting = self.field_errors[self._error_field]
        elif tag in {"li", "p"} and "message" in classes:
            self.messages.append("")
            self._collecting = self.messages

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skipping -= 1
        elif tag == "ul":
            self._error_field = None
        if tag in {"li", "p"}:
            self._collecting = None

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.text.append(data)
        if self._collecting is not None:
            self._collecting[-1] += data.strip()


def _read(response: HttpResponse) -> _PageReader:
    reader = _PageReader()
    reader.feed(response.content.decode())
    return reader


def field_errors(response: HttpResponse) -> dict[str, list[str]]:
    """{field name: [messages]} of every error list on the page ("__all__" for the form)."""
    return _read(response).field_errors


def flash_messages(response: HttpResponse) -> list[str]:
    return _read(response).messages


def visible_text(response: HttpResponse) -> str:
    """The page's text without markup, scripts or styles, whitespace collapsed."""
    return " ".join(" ".join(_read(response).text).split())
