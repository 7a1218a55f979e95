from django.conf import settings
from django.http import HttpRequest


def security(request: HttpRequest) -> dict[str, object]:
    """Exposes the CSP nonce so templates can mark their own inline scripts and styles, and
    whether the API docs are served (pages link to them only then)."""
    return {
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "api_docs_enabled": settings.API_DOCS_ENABLED,
    }
