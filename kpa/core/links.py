"""Which links the platform follows or offers: paths on this site, never another host."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def is_safe_relative_url(url: str) -> bool:
    """A path on this site (`/kpa/3/`), never another host (`//evil.example`, `https://…`)."""
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set())
    )
