"""Finding the parts that plug in (loaders, answerers, LLM backends, rerankers) by name.

Every part, built-in or from another package, is registered the same way: an entry point in a
group named below, in the package's pyproject.toml. newsdesk's own are in its pyproject.toml.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

LOADERS = "newsdesk.loaders"
ANSWERERS = "newsdesk.answerers"
LLM_BACKENDS = "newsdesk.llm_backends"
RERANKERS = "newsdesk.rerankers"
COMMANDS = "newsdesk.commands"


class PluginError(LookupError):
    """No part of that name is registered, or it cannot be loaded."""


def names(group: str) -> list[str]:
    """The names registered in a group, sorted."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load(group: str, name: str) -> Any:
    """The object registered under a name in a group (imported now, not at startup)."""
    # Read afresh on each call (a few ms): a package installed while a process runs, or a
    # test's own package put on sys.path, is found without a restart.
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        known = ", ".join(names(group)) or "none: is newsdesk installed (make install)?"
        raise PluginError(f"no {group.rsplit('.', 1)[-1][:-1]} named {name!r} (known: {known})")
    try:
        return found[0].load()
    except Exception as exc:  # an installed plugin that fails to import is a usage error
        raise PluginError(f"the {group} entry {name!r} cannot be loaded: {exc}") from exc


def load_all(group: str) -> dict[str, Any]:
    """Every object registered in a group, by name."""
    return {name: load(group, name) for name in names(group)}
