"""Provider secrets from settings: given inline (NAME) or as the path of a file holding them
(NAME_FILE, for secrets mounted by the deployment), never both."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def secret_setting(name: str, *, provider: str) -> str:
    """The secret of setting `name` (stripped), "" when neither form is set; raises
    ImproperlyConfigured, naming the setting, when both are set or the file cannot be read."""
    inline = str(getattr(settings, name, "") or "").strip()
    path = str(getattr(settings, f"{name}_FILE", "") or "").strip()
    if inline and path:
        raise ImproperlyConfigured(f"{provider}: set {name} or {name}_FILE, not both.")
    if not path:
        return inline
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{provider}: {name}_FILE {path!r} cannot be read: {exc}"
        ) from exc
