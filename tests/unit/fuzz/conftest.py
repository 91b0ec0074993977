"""Shared checks for the fuzz tests: a failure is one sentence, never a traceback."""

from __future__ import annotations

from tui.core.errors import ConsoleError


def assert_sentence(text: object) -> None:
    """One line, no traceback text: what the UI can show as is."""
    text = str(text)
    assert text, "an empty message"
    assert "\n" not in text and "\r" not in text, text
    assert "Traceback (most recent call last)" not in text and 'File "' not in text, text


def assert_console_error(exc: BaseException) -> None:
    assert isinstance(exc, ConsoleError), f"{type(exc).__name__}: {exc}"
    assert_sentence(exc)
