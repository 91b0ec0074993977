"""The "Components" pane: one row per workload, updated cell by cell."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.core.fitting import fault_suffix, fit_images, kind_label, odd_ones, split_image
from tui.core.workload import Ref

from .key_table import KeyTable
from .messages import ComponentHighlighted
from .style import clock_time, style

COLUMNS = (("kind", "Kind"), ("name", "Name"), ("ready", "Ready"), ("updated", "Upd"),
           ("available", "Avail"), ("revision", "Rev"), ("image", "Image"), ("status", "Status"))
# A stale row's status, longest first: the first that fits is shown (the flash line says the rest).
STALE_FORMS = ("{status} as of {at}Z", "{status} @{at}", "{status} (stale)", "{status}?")
MIN_IMAGE = 12  # the Image column never gets less: `v2…-crashloop` still says which build and that it is bad


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
        # Told of a row the user moves to as the cursor moves, before the next frame (the app sets it): what
        # follows the selection (revisions, stream) then paints with the cursor. ComponentHighlighted, a
        # message, comes a frame or two later: Textual's screen timer skips a tick after an idle screen.
        self.follow: Callable[[Ref], None] | None = None
        self._views: dict[str, object] = {}
        self._filter = ""
        self._warnings: dict[str, int] = {}  # component -> readiness warnings (tui/kube/readiness.py)
        self._alerts: dict[str, list] = {}  # component -> its Prometheus alerts (tui.core.metrics.Alert)
        self._alerts_stale = False
        self._compact_marks = False  # narrow: drift as Δ, an alert as ▲/△ without its name
        self._image_width = MIN_IMAGE
        self._stale_since: float | None = None  # the watches lost their server then: rows are as of then
        self._stale_form = 0  # which of STALE_FORMS fits
        self._detail_parts = 0  # how many parts of a row's detail (ComponentView.detail) fit
        self._odd: set[str] = set()  # image tags that differ from most components'
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def on_resize(self) -> None:
        if self._layout_changed():
            self.set_components(self._views.values())

    def _layout_changed(self) -> bool:
        """Recompute the Image column's room and the odd tags; True when the rows must be redrawn."""
        views = list(self._views.values())
        odd = odd_ones(_tags(v) for v in views)
        before = (self._image_width, self._odd, self._stale_form, self._compact_marks, self._detail_parts)
        self._odd = odd
        # Stale rows say since when, and drift and alerts follow the status word, in the longest forms that
        # leave the Image column its least width (the header names the alerts; the Helm pane the drift).
        # A kind's detail (an Argo Rollout's step, weights, stable image) gives up its last parts first.
        most = max((len(v.detail) for v in views), default=0)
        for compact in (False, True):
            self._compact_marks = compact
            for form in range(len(STALE_FORMS)):
                self._stale_form = form
                for parts in range(most, -1, -1):
                    self._detail_parts = parts
                    room = self._room(views)
                    if room >= MIN_IMAGE:
                        break
                if room >= MIN_IMAGE or self._stale_since is None:
                    break
            if room >= MIN_IMAGE:
                break
        self._image_width = max(MIN_IMAGE, room)
        return (self._image_width, self._odd, self._stale_form, self._compact_marks, self._detail_parts) != before

    def _room(self, views: list) -> int:
        rows = [self._texts(v) for v in views]  # once per row, not once per row and column
        other = 0
        for n, (key, label) in enumerate(COLUMNS):
            if key != "image":  # every other column at its widest cell, plus the cells' padding
                other += max([len(label), *(len(row[n]) for row in rows)]) + 2
        # The rest is the Image column's (its padding, and a scrollbar's column when rows overflow).
        return self.size.width - other - 3 if self.size.width else 60

    def _detail(self, view) -> str:
        return " ".join(view.detail[:self._detail_parts])

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

    def _texts(self, view) -> list[str]:
        """Each column's plain text (kubectl get deploy's READY, UP-TO-DATE, AVAILABLE; image(s) uncut)."""
        name = f"{view.name} ⚠" if self._warnings.get(view.name) else view.name
        status = f"{view.status} {self._detail(view)}".rstrip()
        if self._stale_since is not None:
            status = STALE_FORMS[self._stale_form].format(status=status, at=clock_time(self._stale_since))
        return [kind_label(view.kind), name, f"{view.ready}/{view.desired}", str(view.updated),
                str(view.available), view.revision or "-", ",".join(view.images),
                status + "".join(text for text, _, _ in self._marks(view))]

    def _marks(self, view) -> list[tuple[str, str, bool]]:
        """What follows the status word (text, meaning, is an alert): drift from the Helm release's deployed
        manifest, then the component's Prometheus alerts (firing ▲, pending △)."""
        compact = self._compact_marks
        marks = [(" Δ" if compact else " drift", "warning", False)] if view.drift else []
        for alert in self._alerts.get(view.name, ()):
            firing = alert.state == "firing"
            name = "" if compact else alert.name
            marks.append((f" {'▲' if firing else '△'}{name}", "error" if firing else "warning", True))
        return marks

    def _cells(self, view) -> list:
        kind, _, ready, updated, available, revision, _, _ = self._texts(view)
        if self._stale_since is not None:  # what a lost watch last saw: dimmed, never shown as live
            texts = self._texts(view)
            texts[6] = fit_images(view.images, self._image_width)
            return [Text(t, style="dim") for t in texts]
        # Text, not str: the table would parse every str cell as markup (a third of a 2,000-row table's build).
        return [
            Text(kind),
            # A readiness marker only where there are warnings: unwarned rows render as before.
            Text.assemble(view.name, (" ⚠", style(self.app, "warning"))) if self._warnings.get(view.name)
            else Text(view.name),
            Text(ready), Text(updated), Text(available), Text(revision),
            self._image_cell(view),
            self._status(view),
        ]

    def _status(self, view) -> Text:
        text = Text(view.status, style=style(self.app, view.status, bold=view.status not in ("Complete", "Healthy")))
        if self._detail(view):  # an Argo Rollout's step, weights and stable image
            text.append(f" {self._detail(view)}")
        for mark, meaning, alert in self._marks(view):
            # An alert from the last answer that Prometheus could not refresh is dimmed, never dropped.
            text.append(mark, style="dim" if alert and self._alerts_stale else style(self.app, meaning, bold=True))
        return text

    def _image_cell(self, view) -> Text:
        """The image(s), cut from the registry end with `…`; a fault suffix in the error colour, a tag that
        differs from most components' in bold."""
        text = Text(fit_images(view.images, self._image_width))
        if _tags(view) in self._odd:
            text.stylize("bold")
        for image in view.images:
            suffix = fault_suffix(split_image(image)[1])
            if suffix:
                text.highlight_words([suffix], style(self.app, "error", bold=True))
        return text

    def set_components(self, views: Iterable, select: Ref | None = None) -> None:
        """Replace every row (the set of components, or the filter, changed)."""
        views = list(views)
        keep = select or self.selected
        self._views = {v.ref: v for v in views}
        self._layout_changed()
        self.clear(columns=True)
        for key, label in COLUMNS:
            self.add_column(label, key=key)
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
        if self._layout_changed():  # the Image column's room or the odd tags changed: every row redrawn
            self.set_components(self._views.values())
            return
        for view in views:
            if not self._matches(view.ref):
                continue
            row = _key(view.ref)
            for (key, _), value in zip(COLUMNS, self._cells(view)):
                if self.get_cell(row, key) != value:  # an Event about a component changes none of its cells
                    self.update_cell(row, key, value, update_width=self._widens(key, value))

    def _widens(self, key: str, value) -> bool:
        """Whether a new cell is wider than its column (so it is never cut). Only then does the table measure:
        asked to re-measure a cell that got narrower, DataTable measures the whole column, which made a launch
        at 500 Deployments quadratic (seconds on the UI loop). A column may stay wider than it needs."""
        width = value.cell_len if isinstance(value, Text) else cell_len(str(value))
        return width > self.columns[ColumnKey(key)].content_width

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

    def set_stale(self, since: float | None) -> None:
        """Dim every row and say since when its status is known (None: the watches are live again)."""
        if since != self._stale_since:
            self._stale_since = since
            self.set_components(self._views.values())

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

    def watch_cursor_coordinate(self, old, new) -> None:
        super().watch_cursor_coordinate(old, new)
        if old != new and self.has_focus and self.follow is not None and self.selected is not None:
            self.follow(self.selected)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(ComponentHighlighted(_ref(event.row_key.value)))


def _tags(view) -> str:
    return ",".join(split_image(i)[1] for i in view.images)


def _key(ref: Ref) -> str:
    """A row's key: DataTable keys are strings, components are (kind, name)."""
    return f"{ref.kind}/{ref.name}"


def _ref(key: str) -> Ref:
    kind, _, name = key.partition("/")
    return Ref(kind, name)
