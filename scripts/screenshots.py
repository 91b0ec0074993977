"""Make screenshots/*.svg of the console's screens, from the fixed state the snapshot tests use.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

The state is `tests/console/fixtures/eli-maor.json`: the seeded eli-maor
sandbox caught in a crash-looping backend rollout (old and new pods both
up), replayed with a fixed clock, so the pictures are the same every time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.widgets import Input

from tests.console.fixtures import fixed_app, rollback_operation
from tui.app import Request
from widgets.messages import OperationPlanned

BACKEND = "eli-maor-backend"


async def _confirmation(pilot) -> None:
    app = pilot.app
    app.post_message(OperationPlanned(Request("rollback", BACKEND), rollback_operation(app.state)))
    await pilot.pause()
    await pilot.pause()


async def _keys(pilot, *keys: str) -> None:
    await pilot.press(*keys)


# name -> (size, what to do before the picture, what it shows)
SHOTS: dict[str, tuple[tuple[int, int], Callable[..., Awaitable[None]] | None, str]] = {
    "main-80x24": ((80, 24), None, "the main screen on an 80x24 SSH terminal"),
    "main-160x48": ((160, 48), None, "the main screen at 160x48, checklist open"),
    "main-200x60": ((200, 60), None, "the main screen at 200x60"),
    "diff": ((100, 30), lambda p: _keys(p, "tab", "j", "d"), "the diff of revision 4 against the current one"),
    "confirm-production": ((100, 34), _confirmation, "a rollback's confirmation with the production guard"),
    "help": ((80, 36), lambda p: _keys(p, "question_mark"), "every key"),
    "checklist-80x24": ((80, 24), lambda p: _keys(p, "c", "down", "space"), "the checklist opened at 80 columns"),
}


async def shoot(name: str, out: Path) -> Path:
    size, before, _ = SHOTS[name]
    app = fixed_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if before is not None:
            await before(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"rollback-console — {SHOTS[name][2]}"))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="folder for the SVGs")
    parser.add_argument("names", nargs="*", choices=[[], *SHOTS], help="which screens (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or SHOTS:
        print(asyncio.run(shoot(name, args.out)).relative_to(ROOT) if args.out.is_relative_to(ROOT) else name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
