"""The chat server's part of the settings, and ChatSettings: NewsdeskSettings plus that part."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from assistant.settings import NewsdeskSettings
from index.settings import ENV


class UISettings(BaseSettings):
    """Who may use the chat and how many questions it answers at once."""

    model_config = ENV

    ui_user: str | None = None
    ui_password: str | None = None
    ui_concurrency: int = Field(default=4, ge=1)


class ChatSettings(NewsdeskSettings, UISettings):
    """What `newsdesk ui` runs on: the assistant's settings and the chat server's."""

    model_config = ENV
