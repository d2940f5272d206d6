"""The settings page: what the installation runs with, for administrators to check.

Settings are not changed here. They come from the YAML config and the
``PLATEKEEPER_…`` environment and are read when a process starts, for three
reasons: the approval threshold, the second reviewer and the account policy
are controls over other people's powers, and a change to them belongs under
the change control of the deployment's configuration rather than one
administrator's click; the tile URL enters the Content-Security-Policy and
every page that draws a map; and a scale-out deployment runs many processes,
which must all run with one configuration. The page lists each setting with
the title and description of its field, so the text cannot drift from the
code; secrets (``SecretStr``) and database addresses are never shown.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, SecretStr

from platekeeper.config import Settings

# (path in the settings, heading) of the sections shown.
SECTIONS = (
    ("web", "Web app, maps and review"),
    ("auth", "Sign-in and account policy"),
    ("audit", "Audit log"),
    ("store.retention", "Retention"),
)


class SettingView(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    value: str | int | float | bool | None
    description: str


class SettingsSection(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    settings: list[SettingView]


def settings_view(settings: Settings) -> list[SettingsSection]:
    out = []
    for path, title in SECTIONS:
        model: BaseModel = settings
        for part in path.split("."):
            model = getattr(model, part)
        out.append(SettingsSection(key=path, title=title, settings=list(_fields(model, path))))
    return out


def _fields(model: BaseModel, prefix: str, label: str = "") -> list[SettingView]:
    found = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}.{name}"
        if isinstance(value, SecretStr):
            continue
        if isinstance(value, BaseModel):
            found.extend(_fields(value, key, f"{label}{info.title or name} · "))
            continue
        if not isinstance(value, str | int | float | bool | type(None)):
            value = json.dumps(value, default=str)
        found.append(
            SettingView(
                key=key,
                title=label + (info.title or name),
                value=value,
                description=info.description or "",
            )
        )
    return found
