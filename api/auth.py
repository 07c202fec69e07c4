"""Bearer tokens: ``QA_ADMIN_TOKEN`` guards the write endpoints, ``QA_READ_TOKEN`` (when set) the read ones.

Tokens are compared in constant time (``hmac.compare_digest``). A missing or wrong token gets 401 with
``WWW-Authenticate: Bearer``; write endpoints without a configured admin token get 403 saying how to enable them.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request
from pydantic import SecretStr

from qa.settings import Settings

WRITES_DISABLED = (
    "write endpoints are disabled: set QA_ADMIN_TOKEN to a secret (environment or .env), restart the service, "
    "and send it as `Authorization: Bearer <token>`"
)


def _settings(request: Request) -> Settings | None:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.casefold() == "bearer" and token.strip() else None


def _matches(token: str | None, *expected: SecretStr | None) -> bool:
    if token is None:
        return False
    given = token.encode("utf-8")
    return any(e is not None and hmac.compare_digest(given, e.get_secret_value().encode("utf-8")) for e in expected)


def _unauthorized(what: str) -> HTTPException:
    return HTTPException(
        401, detail=f"{what} need `Authorization: Bearer <token>` with a valid token", headers={"WWW-Authenticate": "Bearer"}
    )


def require_admin(request: Request) -> None:
    """Dependency of the write endpoints."""
    settings = _settings(request)
    if settings is None or settings.admin_token is None:
        raise HTTPException(403, detail=WRITES_DISABLED)
    if not _matches(_bearer(request), settings.admin_token):
        raise _unauthorized("write endpoints")


def require_reader(request: Request) -> None:
    """Dependency of ``/ask`` and ``/documents``: open unless ``QA_READ_TOKEN`` is set (the admin token reads too)."""
    settings = _settings(request)
    if settings is None or settings.read_token is None:
        return
    if not _matches(_bearer(request), settings.read_token, settings.admin_token):
        raise _unauthorized("/ask and /documents")
