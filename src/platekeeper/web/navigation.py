"""The features of the web app: each a router plus its entries in the navigation.

``create_app`` mounts the features whose services are present and shows a
navigation entry only to users whose role grants its permission. A new page
(live reads, plate search, journeys, cameras) is a new ``Feature``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from platekeeper.auth.principal import Principal
from platekeeper.auth.roles import Permission
from platekeeper.web.services import Services


class NavItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    href: str
    api: str | None = None
    permission: Permission | None = None


def _always(_services: Services) -> bool:
    return True


@dataclass(frozen=True)
class Feature:
    name: str
    router: Callable[[], APIRouter]
    nav: tuple[NavItem, ...] = ()
    enabled: Callable[[Services], bool] = _always


def visible_nav(items: tuple[NavItem, ...], principal: Principal) -> list[NavItem]:
    return [item for item in items if item.permission is None or principal.can(item.permission)]
