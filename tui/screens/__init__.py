"""Screens pushed over the console: confirmation, prompts, diff, help, quit."""
