"""The "Components" pane: one row per workload, updated cell by cell."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from tui.core.workload import Ref

from .key_table import KeyTable
from .messages import ComponentHighlighted
from .style import style

COLUMNS = (("kind", "Kind"), ("name", "Name"), ("ready", "Ready"), ("updated", "Upd"),
           ("available", "Avail"), ("revision", "Rev"), ("image", "Image"), ("status", "Status"))
SHORT_KIND = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "Rollout": "rollout"}
LETTER_KIND = {"Deployment": "D", "StatefulSet": "S", "DaemonSet": "DS", "Rollout": "R"}
COMPACT_BELOW = 84  # columns of the table: below this the kind is one letter (80x24 terminals)


class ComponentTable(KeyTable):
    """Kind, name, ready/updated/available of desired (as kubectl get deploy), revision, image tag, status."""

    DEFAULT_CSS = """
    ComponentTable {
        height: auto;
        max-height: 12;
    }
    """


    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._views: dict[str, object] = {}
        self._filter = ""
        self._warnings: dict[str, int] = {}  # component -> readiness warnings (tui/kube/readiness.py)
        self._alerts: dict[str, list] = {}  # component -> its Prometheus alerts (tui.core.metrics.Alert)
        self._alerts_stale = False
        self.compact = False
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def on_resize(self) -> None:
        compact = self.size.width < COMPACT_BELOW
        if compact != self.compact:
            self.compact = compact
            self.set_components(self._views.values())

    # ---- data --------------------------------------------------------------

    @property
    def selected(self) -> Ref | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
        return _ref(key.value)

    @property
    def visible_names(self) -> list[str]:
        return [ref.name for ref in self._views if self._matches(ref)]

    def _matches(self, ref: Ref) -> bool:
        return self._filter.lower() in ref.name.lower()

    def _cells(self, view) -> list:
        # kubectl get deploy's READY, UP-TO-DATE and AVAILABLE: each of the desired count in Ready.
        return [
            (LETTER_KIND if self.compact else SHORT_KIND).get(view.kind, view.kind),
            # A readiness marker only where there are warnings: unwarned rows render as before.
            Text.assemble(view.name, (" ⚠", style(self.app, "warning"))) if self._warnings.get(view.name)
            else view.name,
            f"{view.ready}/{view.desired}",
            str(view.updated),
            str(view.available),
            view.revision or "-",
            view.image_tags,
            self._status(view),
        ]

    def _status(self, view) -> Text:
        text = Text(view.status, style=style(self.app, view.status, bold=view.status != "Complete"))
        if view.drift:  # differs from its Helm release's deployed manifest
            text.append(" drift", style=style(self.app, "warning", bold=True))
        for alert in self._alerts.get(view.name, ()):
            # An alert from the last answer that Prometheus could not refresh is dimmed, never dropped.
            meaning = "error" if alert.state == "firing" else "warning"
            mark = "▲" if alert.state == "firing" else "△"
            text.append(f" {mark}{alert.name}", style="dim" if self._alerts_stale else style(self.app, meaning, True))
        return text

    def set_components(self, views: Iterable, select: Ref | None = None) -> None:
        """Replace every row (the set of components, or the filter, changed)."""
        views = list(views)
        keep = select or self.selected
        self._views = {v.ref: v for v in views}
        self.clear(columns=True)
        for key, label in COLUMNS:
            self.add_column("K" if key == "kind" and self.compact else label, key=key)
        for view in views:
            if self._matches(view.ref):
                self.add_row(*self._cells(view), key=_key(view.ref))
        self.select(keep)

    def update_components(self, views: Iterable) -> None:
        """Update the rows of these components in place (what the watchers changed)."""
        views = list(views)
        if any(v.ref not in self._views for v in views):
            full = {**self._views, **{v.ref: v for v in views}}
            self.set_components(full.values())
            return
        for view in views:
            self._views[view.ref] = view
            if not self._matches(view.ref):
                continue
            for (key, _), value in zip(COLUMNS, self._cells(view)):
                self.update_cell(_key(view.ref), key, value, update_width=True)  # never cut a new image or status

    def set_warnings(self, warnings: dict[str, int]) -> None:
        """Mark the components that have readiness warnings (name -> how many); the rest unmarked."""
        changed = {n for n in set(warnings) | set(self._warnings) if warnings.get(n) != self._warnings.get(n)}
        self._warnings = dict(warnings)
        if changed & {ref.name for ref in self._views}:
            self.set_components(self._views.values())  # rebuilt, so the Name column widens for the marker

    def set_alerts(self, alerts: dict[str, list], stale: bool = False) -> None:
        """Prometheus alerts labelled with a component, shown after its status (firing ▲, pending △)."""
        if alerts == self._alerts and stale == self._alerts_stale:
            return
        changed = set(alerts) | set(self._alerts)
        self._alerts, self._alerts_stale = dict(alerts), stale
        views = [v for ref, v in self._views.items() if ref.name in changed]
        if views:
            self.update_components(views)

    def remove_components(self, refs: Iterable[Ref]) -> None:
        refs = [r for r in refs if r in self._views]
        if not refs:
            return
        for ref in refs:
            self._views.pop(ref)
        self.set_components(self._views.values())

    def select(self, ref: Ref | str | None) -> bool:
        """Put the cursor on a component (a name picks the first component of that name)."""
        if isinstance(ref, str):
            ref = next((r for r in self._views if r.name == ref), None)
        if ref is None or not self.row_count:
            if self.row_count:
                self.move_cursor(row=0)
            return False
        try:
            index = self.get_row_index(_key(ref))
        except Exception:  # noqa: BLE001 - not shown (filtered out or gone)
            self.move_cursor(row=0)
            return False
        self.move_cursor(row=index)
        return True

    def set_filter(self, text: str) -> None:
        self._filter = text
        self.set_components(self._views.values())
        self.border_subtitle = f"/{text}" if text else ""

    @property
    def filter_text(self) -> str:
        return self._filter

    # ---- events ------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(ComponentHighlighted(_ref(event.row_key.value)))


def _key(ref: Ref) -> str:
    """A row's key: DataTable keys are strings, components are (kind, name)."""
    return f"{ref.kind}/{ref.name}"


def _ref(key: str) -> Ref:
    kind, _, name = key.partition("/")
    return Ref(kind, name)
