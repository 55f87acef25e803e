"""Who is asking: the signed-in staff member (office session or phone device)."""

from __future__ import annotations

import msgspec


class CurrentUser(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    username: str
    display_name: str
    role: str
    site_ids: tuple[str, ...]
    language: str = ""
    csrf_token: str = ""
    session_id: str | None = None
    device_id: str | None = None
    client_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_site(self, site_id: str) -> bool:
        return self.is_admin or site_id in self.site_ids


class SignInForm(msgspec.Struct):
    username: str = ""
    password: str = ""
    next: str = ""
