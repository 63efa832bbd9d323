"""README documents the command line and the settings exactly: nothing missing, nothing stale.

After sqlite-utils' test that every CLI command is documented: README is parsed (its command
table under "## Use", its settings table under "## Settings", and every `newsdesk ...` example)
and compared with the parser `newsdesk` really builds (entry-point commands included) and the
fields of ChatSettings, which composes every part's settings.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from assistant.cli import build_parser
from ui.settings import ChatSettings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# `newsdesk CMD ...` in an inline code span, or a `$ newsdesk CMD ...` line of an example.
INVOCATION = re.compile(r"(?:`|^\$ )newsdesk ([a-z][a-z-]*)([^`\n]*)", re.MULTILINE)
# NEWSDESK_NAME, or NEWSDESK_PREFIX_* standing for several.
VARIABLE = re.compile(r"NEWSDESK_([A-Z0-9_]*[A-Z0-9])(_\*)?")


def section(title: str) -> str:
    """The text of README's `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def table(text: str, first_column: str) -> list[list[str]]:
    """The body rows of the markdown table whose header starts with `first_column`."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.match(rf"\|\s*{first_column}\s*\|", line)), None
    )
    assert start is not None, f"no table with a '{first_column}' column"
    rows = []
    for line in lines[start + 2 :]:  # after the header and its |---| line
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
        rows.append([cell.strip() for cell in cells])
    assert rows, f"the '{first_column}' table is empty"
    return rows


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name, as `newsdesk` builds them."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def options(parser: argparse.ArgumentParser) -> set[str]:
    """The --options a subcommand takes (--help aside)."""
    return {s for a in parser._actions for s in a.option_strings if s.startswith("--")} - {"--help"}


COMMANDS = subcommands()


def command_rows() -> dict[str, str]:
    """The command table: each command's row (both cells), by command name."""
    rows: dict[str, str] = {}
    for cells in table(section("Use"), "command"):
        match = re.match(r"`newsdesk ([a-z][a-z-]*)", cells[0])
        assert match, f"a command row that does not start with `newsdesk CMD`: {cells[0]}"
        assert match.group(1) not in rows, f"`newsdesk {match.group(1)}` has two rows"
        rows[match.group(1)] = " | ".join(cells)
    return rows


def settings_rows() -> dict[str, list[str]]:
    """The settings table: each row's cells, by field name."""
    rows: dict[str, list[str]] = {}
    for cells in table(section("Settings"), "variable"):
        match = re.fullmatch(r"`NEWSDESK_([A-Z0-9_]+)`", cells[0])
        assert match, f"a settings row that does not name one `NEWSDESK_*`: {cells[0]}"
        name = match.group(1).lower()
        assert name not in rows, f"NEWSDESK_{name.upper()} has two rows"
        rows[name] = cells
    return rows


# --- (a) commands ---------------------------------------------------------------------------


def test_every_command_is_in_the_command_table_and_every_documented_one_exists() -> None:
    documented = set(command_rows())
    assert "ui" in COMMANDS, "the ui command (newsdesk.commands entry point) is not registered"
    assert set(COMMANDS) - documented == set(), "commands README's command table lacks"
    assert documented - set(COMMANDS) == set(), "commands README documents that do not exist"


def test_every_newsdesk_command_readme_mentions_exists() -> None:
    mentioned = {m.group(1) for m in INVOCATION.finditer(README)}
    assert mentioned, "README shows no `newsdesk CMD` at all"
    assert mentioned - set(COMMANDS) == set()


# --- (b) options ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_is_in_its_command_row(command: str) -> None:
    row = command_rows().get(command, "")
    assert options(COMMANDS[command]) - set(OPTION.findall(row)) == set()


@pytest.mark.parametrize("command", sorted(command_rows()))
def test_every_option_a_command_row_names_exists(command: str) -> None:
    documented = set(OPTION.findall(command_rows()[command]))
    known = options(COMMANDS[command]) if command in COMMANDS else set()
    assert documented - known == set(), f"not options of `{command}`"


def test_every_option_in_a_newsdesk_example_belongs_to_that_command() -> None:
    wrong = [
        f"newsdesk {m.group(1)} {option}"
        for m in INVOCATION.finditer(README)
        if m.group(1) in COMMANDS
        for option in OPTION.findall(m.group(2))
        if option not in options(COMMANDS[m.group(1)])
    ]
    assert wrong == []


def test_every_option_readme_names_alone_exists() -> None:
    known = set().union(*(options(p) for p in COMMANDS.values()))
    named = set(re.findall(r"`(--[a-z][a-z0-9-]*)`", README))
    assert named - known == set()


# --- (c) settings ---------------------------------------------------------------------------


def test_every_setting_is_in_the_settings_table_and_every_row_is_a_setting() -> None:
    fields = set(ChatSettings.model_fields)
    documented = set(settings_rows())
    missing = sorted(f"NEWSDESK_{name.upper()}" for name in fields - documented)
    stale = sorted(f"NEWSDESK_{name.upper()}" for name in documented - fields)
    assert missing == [], "settings README's table lacks"
    assert stale == [], "settings README documents that do not exist"


def test_every_newsdesk_variable_readme_mentions_is_a_setting() -> None:
    fields = {name.upper() for name in ChatSettings.model_fields}
    unknown = []
    for match in VARIABLE.finditer(README):
        name, wildcard = match.groups()
        if wildcard:
            if not any(f.startswith(f"{name}_") for f in fields):
                unknown.append(match.group(0))
        elif name not in fields:
            unknown.append(match.group(0))
    assert unknown == []


def test_the_settings_table_gives_the_defaults_of_the_code() -> None:
    wrong = []
    for name, cells in settings_rows().items():
        if name not in ChatSettings.model_fields:
            continue  # reported by the test above
        field = ChatSettings.model_fields[name]
        cell = cells[1]
        if cell == "unset":
            value = None
        else:
            shown = re.match(r"`([^`]+)`", cell)
            assert shown, f"NEWSDESK_{name.upper()}: default cell is neither `VALUE` nor unset"
            value = TypeAdapter(field.annotation).validate_python(shown.group(1))
            if isinstance(value, Path):
                value = value.expanduser()
        if value != field.default:
            wrong.append(f"NEWSDESK_{name.upper()}: README {cell}, code {field.default!r}")
    assert wrong == []
