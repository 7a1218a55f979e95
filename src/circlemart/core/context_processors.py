from django.http import HttpRequest


def security(request: HttpRequest) -> dict[str, str]:
    """Exposes the CSP nonce so templates can mark their own inline scripts and styles."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
