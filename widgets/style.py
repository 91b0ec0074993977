"""Colours by meaning (from the app's theme) and time formats shared by the widgets."""

from __future__ import annotations

import time

from rich.style import Style
from textual.app import App

# What each status word or stream severity means, in theme colours.
MEANING = {
    "Complete": "success",
    "Healthy": "success",  # an Argo Rollout's phase
    "Progressing": "warning",
    "Paused": "secondary",
    "Stalled": "error",
    "Degraded": "error",
    "Scaled down": "error",
    "success": "success",
    "info": "foreground",
    "warning": "warning",
    "error": "error",
}
FALLBACK = {"success": "green", "warning": "yellow", "error": "red", "secondary": "magenta",
            "foreground": "default", "accent": "cyan", "primary": "blue"}


def colour(app: App, meaning: str) -> str:
    variable = MEANING.get(meaning, meaning)
    return app.theme_variables.get(variable) or FALLBACK.get(variable, "default")


def style(app: App, meaning: str, bold: bool = False) -> Style:
    return Style(color=colour(app, meaning), bold=bold)


def clock_time(at: float) -> str:
    """HH:MM:SS in UTC: the same for everyone on the incident call, and in snapshots."""
    return time.strftime("%H:%M:%S", time.gmtime(at))
