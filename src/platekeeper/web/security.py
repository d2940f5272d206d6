"""Security headers on every response, and cross-origin protection for writes.

Both are plain ASGI middleware (not ``BaseHTTPMiddleware``) so that streamed
responses such as server-sent events pass through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from platekeeper.web.settings import WebSettings

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def content_security_policy(web: WebSettings) -> str:
    """No inline script or style, no eval, nothing from other origins except map tiles."""
    img = ["'self'", "data:"]
    if web.tile_url and web.tile_url.startswith("https://"):
        parts = urlsplit(web.tile_url.replace("{s}", "a"))
        host = parts.netloc
        if "{s}" in web.tile_url:
            host = "*." + host.split(".", 1)[1] if "." in host else host
        img.append(f"https://{host}")
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": img,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeaders:
    """Adds CSP, HSTS, anti-framing, no-sniff and cache headers to every response.

    Everything except the static assets is ``no-store``: pages and API answers
    may hold personal data, and a shared or back-button cache must not keep it.
    """

    def __init__(self, app: ASGIApp, *, csp: str, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix
        self.headers = {
            "Content-Security-Policy": csp,
            "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(self.static_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if static:
                    headers["Cache-Control"] = "public, max-age=3600"
                else:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CrossOriginProtection:
    """Refuses state-changing requests that a browser made on behalf of another site.

    Why headers instead of tokens: every browser platekeeper supports sends
    ``Sec-Fetch-Site`` (Fetch Metadata, W3C) on every request, and ``Origin``
    on every non-GET request; neither can be set by a page of another origin.
    So a cross-site form post or fetch is recognisable without a token to
    thread through every form and htmx request. This is the algorithm Go 1.25
    adopted as ``net/http.CrossOriginProtection`` and that Filippo Valsorda
    describes in "Cross-Site Request Forgery" (https://words.filippo.io/csrf/):

    1. GET, HEAD and OPTIONS pass (they must not change anything — and here
       they do not, apart from audit entries).
    2. ``Sec-Fetch-Site: same-origin`` or ``none`` (typed by the user) passes;
       any other value (``same-site``, ``cross-site``) is refused — a sibling
       sub-domain is not trusted either.
    3. Without ``Sec-Fetch-Site``, an ``Origin`` equal to the request's own
       origin (or one of ``allowed_origins``) passes, any other is refused.
    4. With neither header the request did not come from a (modern) browser,
       so it carries no ambient cookies of a victim: it passes.

    The session cookie is also ``SameSite=Strict``; this is the second lock.
    """

    def __init__(self, app: ASGIApp, *, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self._allowed(scope, headers):
            await self.app(scope, receive, send)
            return
        logger.warning("refused a cross-origin %s to %s", scope["method"], scope.get("path"))
        message = "Cross-origin request refused."
        response = (
            JSONResponse({"detail": message}, status_code=403)
            if str(scope.get("path", "")).startswith("/api/")
            else PlainTextResponse(message, status_code=403)
        )
        await response(scope, receive, send)

    def _allowed(self, scope: Scope, headers: Headers) -> bool:
        site = headers.get("sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        origin = headers.get("origin")
        if origin is None:
            return True
        if origin in self.allowed:
            return True
        host = headers.get("host")
        scheme = scope.get("scheme", "https")
        return host is not None and origin == f"{scheme}://{host}"
