"""The console end to end: Textual's Pilot driving the app against a real sandbox process.

Every wait is bounded (`wait_for` polls with `pilot.pause(0.1)` until a
deadline). The sandbox's namespace is `production`, so the production guard
is on: every confirmation needs the component's name typed.
"""

from __future__ import annotations

import copy

import pytest
from kubernetes import client
from textual.widgets import Input, Static

from tests.support.fixtures import fixed_app
from tests.support.pilot import BACKEND, ROLLED_OUT, SIZE, confirm, console, ready, run, stream_texts, wait_for
from tests.support.sandbox import Kubectl
from tests.support.tools import DEFAULT_KUBECTL
from tui.app import RollbackConsole
from tui.core.items import Changed
from tui.core.workload import Ref
from tui.kube.config import connect, locate
from tui.screens.confirm import ConfirmScreen
from tui.screens.diff import DiffScreen
from tui.screens.help import HelpScreen
from tui.screens.prompt import PromptScreen
from tui.screens.quit import QuitScreen


def deployment(sb, name: str = BACKEND) -> dict:
    api = connect(kubeconfig=sb.kubeconfig).api
    return client.ApiClient().sanitize_for_serialization(
        client.AppsV1Api(api).read_namespaced_deployment(name, "production"))


def image_of(d: dict) -> str:
    return d["spec"]["template"]["spec"]["containers"][0]["image"]


# ---- rolling back ------------------------------------------------------------------------------


def test_rollback_to_previous_revision_streams_until_rolled_out(sb):
    # The frontend: the backend's previous revision is the seed's crash-looping v2.0.1 (+ LOG_LEVEL=debug).
    frontend = "eli-maor-frontend"
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, frontend)
            assert app.production
            await pilot.press("u")
            screen = await confirm(pilot, app, frontend)
            assert screen.operation.command_line == f"kubectl rollout undo deployment/{frontend} -n production"
            assert screen.operation.revision == 4
            rolled_out = f'deployment "{frontend}" successfully rolled out'
            await wait_for(pilot, lambda: rolled_out in stream_texts(app), "the rollout to complete", 60)
            texts = stream_texts(app)
            assert any(t.startswith("Waiting for deployment") for t in texts)
            assert f"deployment.apps/{frontend} rolled back" in texts
            assert not app.ledger

    run(scenario())
    d = deployment(sb, frontend)
    assert image_of(d) == "ghcr.io/eli-maor/frontend:v2.0.1"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "6"


def test_rollback_to_a_chosen_revision_records_the_reason(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("tab")  # Revisions
            assert app.revisions_table.has_focus
            revisions = [r.revision for r in app.revisions_table.revisions]
            assert revisions == [5, 4, 3, 2, 1]  # the seed: five revisions
            await pilot.press("j", "j", "j", "j")  # revision 1
            assert app.revisions_table.selected.revision == 1
            await pilot.press("r")
            screen = await confirm(pilot, app, reason="export API regression")
            assert "--to-revision=1" in screen.operation.command_line
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "the rollout to complete", 60)
            await wait_for(pilot, lambda: app.revisions_table.revisions[0].change_cause.startswith("Rollback"),
                           "the new revision's change-cause")

    run(scenario())
    d = deployment(sb)
    assert image_of(d) == "ghcr.io/eli-maor/backend:v1.9.0"
    assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "Rollback to revision 1: export API regression"


def test_roll_back_out_of_a_crashlooping_rollout_while_old_and_new_pods_are_up(sb):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    app = console(sb)

    def both_generations_up() -> bool:
        revisions = app.state.revisions(Ref("Deployment", BACKEND))
        return sum(1 for r in revisions if r.pods) >= 2 and revisions[0].current and revisions[0].pods >= 1

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            kubectl("set", "image", f"deployment/{BACKEND}", "backend=ghcr.io/eli-maor/backend:v2.1.0-crashloop")
            await wait_for(pilot, both_generations_up, "old and new pods both up")
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).status == "Degraded", "Degraded")
            await wait_for(pilot, lambda: any(t.startswith("BackOff") for t in stream_texts(app)), "BackOff events")
            assert app.state.component(Ref("Deployment", BACKEND)).image_tags == "v2.1.0-crashloop"
            await pilot.press("u")
            screen = await confirm(pilot, app)
            assert screen.operation.revision == 5
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "the rollout to complete", 60)
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).status == "Complete", "Complete")

    run(scenario())
    assert image_of(deployment(sb)) == "ghcr.io/eli-maor/backend:v2.0.0"


def test_a_paused_deployment_is_refused_with_kubectls_message(sb):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    app = console(sb)
    message = "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            kubectl("rollout", "pause", f"deployment/{BACKEND}")
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).status == "Paused", "Paused")
            await pilot.press("u")
            await wait_for(pilot, lambda: message in app.notices, "the refusal")
            assert message in stream_texts(app)
            assert not isinstance(app.screen, ConfirmScreen)
            assert not app.ledger

    run(scenario())
    assert deployment(sb)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "5"


# ---- the other actions -------------------------------------------------------------------------


def test_pause_and_resume(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("p")
            screen = await confirm(pilot, app)
            assert screen.operation.kind == "pause"
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).paused, "paused")
            assert f"deployment.apps/{BACKEND} paused" in stream_texts(app)
            paused = f"deployment {BACKEND} is paused: its rollout waits until it is resumed (p)"
            await wait_for(pilot, lambda: paused in stream_texts(app), "the paused rollout said")
            after = stream_texts(app)[stream_texts(app).index(f"deployment.apps/{BACKEND} paused"):]
            assert not any("successfully rolled out" in t for t in after)  # a pause is no rollout's success
            await pilot.press("p")
            screen = await confirm(pilot, app)
            assert screen.operation.kind == "resume"
            await wait_for(pilot, lambda: not app.state.component(Ref("Deployment", BACKEND)).paused, "resumed")
            assert f"deployment.apps/{BACKEND} resumed" in stream_texts(app)

    run(scenario())
    assert not deployment(sb)["spec"].get("paused")


def test_restart_and_change_cause(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("x")
            screen = await confirm(pilot, app)
            assert screen.operation.kind == "restart"
            await wait_for(pilot, lambda: f"deployment.apps/{BACKEND} restarted" in stream_texts(app), "restarted")
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "the restart to roll out", 60)
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the change-cause prompt")
            app.screen.query_one(Input).value = ""
            await pilot.press(*"Restart to clear stuck connections", "enter")
            screen = await confirm(pilot, app)
            assert screen.operation.kind == "annotate"
            await wait_for(pilot, lambda: f"deployment.apps/{BACKEND} annotated" in stream_texts(app), "annotated")

    run(scenario())
    d = deployment(sb)
    assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "Restart to clear stuck connections"
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]


def test_emergency_scale_down_asks_twice_and_the_count_is_offered_back(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the replica prompt")
            assert app.screen.query_one(Input).value == "2"
            await pilot.press("backspace", "0", "enter")
            first = await confirm(pilot, app)
            assert first.operation.risk == "high"
            # The second confirmation: no name, no reason, a warning; enter presses "Scale to 0".
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.warning,
                           "the second confirmation")
            second = app.screen
            assert "Emergency scale-down" in second.warning and second.guard is None
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).desired == 0, "replicas 0")
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).status == "Scaled down", "Scaled down")
            assert app.ledger.remembered_replicas[Ref("Deployment", BACKEND)] == 2
            await wait_for(pilot, lambda: not app.ledger, "the outcome")
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the replica prompt")
            assert app.screen.query_one(Input).value == "2"  # remembered
            await pilot.press("enter")
            await confirm(pilot, app)
            await wait_for(pilot, lambda: app.state.component(Ref("Deployment", BACKEND)).available == 2, "2 available again", 60)

    run(scenario())
    assert deployment(sb)["spec"]["replicas"] == 2


def test_traffic_diversion_shows_the_endpoints_before_and_after(sb):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    app = console(sb)

    def ready_addresses() -> list[str]:
        endpoints = kubectl.json("get", "endpoints", BACKEND)
        return [a["ip"] for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]

    before = ready_addresses()
    assert len(before) == 2

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("t")
            screen = await confirm(pilot, app)
            assert screen.operation.labels == {"serving": "false"}
            assert f"service/{BACKEND}: 2 → 0 ready endpoints (expected)" in screen.operation.changes
            expected = f"service/{BACKEND} ready endpoints: {', '.join(sorted(before))} → none"
            await wait_for(pilot, lambda: expected in stream_texts(app), "the endpoints before and after")
            assert ready_addresses() == []
            await wait_for(pilot, lambda: not app.ledger, "the outcome")
            await pilot.press("t")  # and back
            screen = await confirm(pilot, app)
            assert screen.operation.labels == {"serving": "true"}
            await wait_for(pilot, lambda: any(t.startswith(f"service/{BACKEND} ready endpoints: none → ")
                                              for t in stream_texts(app)), "the endpoints restored")

    run(scenario())
    assert sorted(ready_addresses()) == sorted(before)


def test_the_production_guard_refuses_a_wrongly_typed_name(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
            screen = app.screen
            await pilot.press(*"eli-maor-worker", "enter")
            await pilot.pause()
            assert app.screen is screen  # still asking
            refusal = str(screen.query_one("#refusal", Static).render())
            assert "Refused: 'eli-maor-worker' is not eli-maor-backend" in refusal
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the confirmation to close")
            assert "Cancelled: rolling back eli-maor-backend (nothing changed)." in stream_texts(app)
            assert not app.ledger

    run(scenario())
    assert deployment(sb)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "5"


def test_read_only_refuses_every_action(sb):
    app = console(sb, read_only=True)
    generation = deployment(sb)["metadata"]["generation"]

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            assert "READ-ONLY" in str(app.header.query_one("#badges").render())
            await pilot.press("tab")  # Revisions, so that r applies to a row
            await pilot.press("j")
            for key in ("u", "r", "p", "x", "s", "t", "a"):
                count = len(app.notices)
                await pilot.press(key)
                await wait_for(pilot, lambda count=count: len(app.notices) > count, f"the refusal of {key}")
                assert app.notices[-1].startswith("Read-only mode: "), app.notices[-1]
                assert app.screen is app.console_screen, f"{key} opened {app.screen}"
            assert not app.ledger

    run(scenario())
    assert deployment(sb)["metadata"]["generation"] == generation


# ---- without a cluster: keys, filter, palette, checklist, quitting ---------------------------------


@pytest.mark.offline
def test_filter_as_you_type_and_enter_selects_the_first_match():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.selected == Ref("Deployment", BACKEND)
            await pilot.press("slash", "f", "r")
            assert app.components_table.visible_names == ["eli-maor-frontend"]
            await pilot.press("enter")
            assert app.components_table.has_focus
            assert app.selected == Ref("Deployment", "eli-maor-frontend")
            assert str(app.revisions_table.component) == "eli-maor-frontend"
            await pilot.press("escape")  # clears the filter
            assert app.components_table.row_count == 4

    run(scenario())


@pytest.mark.offline
def test_diff_help_palette_and_checklist_keys():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.sidebar.has_class("-collapsed")  # 80 columns: collapsed
            await pilot.press("c")
            assert not app.sidebar.has_class("-collapsed") and app.sidebar.has_focus
            await pilot.press("down", "space")
            assert app.checklist.done == 1
            await pilot.press("c")
            assert app.sidebar.has_class("-collapsed")
            await pilot.press("tab", "j", "d")  # Revisions, revision 5, diff
            await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), "the diff")
            assert "+    image: ghcr.io/eli-maor/backend:v2.0.0" in app.screen.diff
            await pilot.press("escape", "question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            keys = {key for _, key, _ in app.screen.keys}
            assert {"u", "r", "d", "p", "x", "s", "t", "a", "/", "?", "q", "ctrl+p", "c", "l", "H", "i", "e", "I", "S",
                    "A", "w"} <= keys
            await pilot.press("escape", "ctrl+p")
            await pilot.pause()
            await pilot.press(*"help")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help from the palette")

    run(scenario())


@pytest.mark.offline
def test_offline_actions_say_why_not_and_quit_asks_while_in_flight():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("u")
            assert app.notices[-1].startswith("Not connected to a cluster")
            await pilot.press("l")  # the stream of every component
            assert app.scope_all and app.stream.show_component
            app.ledger.start(Ref("Deployment", BACKEND), f"rolling back {BACKEND}")  # as if a rollback were running
            app.ledger.executing(Ref("Deployment", BACKEND))
            await pilot.press("p")  # one operation at a time per component
            assert app.notices[-1] == (f"{BACKEND} is busy: rolling back {BACKEND} is not finished; wait for its "
                                       "outcome in the Rollout stream.")
            for name in ("eli-maor-worker", "eli-maor-beat"):  # a plan's step busies several components
                app.ledger.start(Ref("Deployment", name), "rolling back every component")
                app.ledger.executing(Ref("Deployment", name))
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), "the quit question")
            assert app.screen.in_flight == [f"rolling back {BACKEND}", "rolling back every component"]  # each once
            await pilot.press("n")
            assert app.is_running and app.screen is app.console_screen
            await pilot.press("q", "y")
            await wait_for(pilot, lambda: not app.is_running, "the console to exit", 5)
    run(scenario())
    assert app.left_in_flight  # the command ends the process at once (tui/cli.py), not when the step stalls
    notes = [e for e in app.timeline_entries if e[1] == "note"]
    assert [e[2] for e in notes] == [BACKEND, "eli-maor-worker", "eli-maor-beat"]
    assert all("carries on in the cluster" in e[3] for e in notes)


@pytest.mark.offline
def test_a_context_that_cannot_be_used_is_said_once_and_every_watch_shows_down(tmp_path):
    """The first frame comes from the kubeconfig's YAML; the client is built on a worker, and when it cannot be
    the console says why in one sentence and never pretends to be connected."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "current-context: broken\n"
        "contexts: [{name: broken, context: {cluster: c, user: u, namespace: production}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {client-certificate: /nonexistent/cert.pem, client-key: /nonexistent/key.pem}}]\n")
    app = RollbackConsole(locate(kubeconfig))
    sentence = f"The context 'broken' in {kubeconfig} is unusable: File does not exist: /nonexistent/cert.pem."

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: sentence in app.notices, "the sentence", 20)
            assert {kind for kind, w in app.state.watches.items() if not w.live} == {
                "Deployment", "Rollout", "ReplicaSet", "Pod", "Event"}
            assert list(app.notices).count(sentence) == 1

    run(scenario())


@pytest.mark.offline
def test_shrinking_to_80_columns_collapses_the_checklist():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            assert not app.sidebar.has_class("-collapsed")
            app.sidebar.focus()  # open and focused: collapsing must hand the focus back
            await pilot.pause()
            assert app.sidebar.has_focus_within
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            assert app.sidebar.has_class("-collapsed") and app.components_table.has_focus
            await pilot.press("c")  # still opens on demand
            assert not app.sidebar.has_class("-collapsed")

    run(scenario())


@pytest.mark.offline
def test_a_component_the_filter_hides_is_never_acted_on():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("slash", *"zzz", "enter")
            assert app.components_table.row_count == 0
            pane = app.console_screen.query_one("#components-pane")
            assert "filter /zzz" in str(pane.border_title)  # shown until cleared, also after enter
            await pilot.press("u")
            await pilot.pause()
            assert app.notices[-1] == "No component is selected; pick one in Components first."
            assert app.screen is app.console_screen
            await pilot.press("escape")
            assert str(pane.border_title) == "Components" and app.components_table.row_count == 4

    run(scenario())


@pytest.mark.offline
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_a_longer_image_or_status_is_never_cut_silently(size):
    """Identity is never hidden: a row updated in place (a watch event) shows its whole status word, and its
    image either whole or cut with `…` from the registry end, its fault suffix kept and highlighted; the
    table still fits its pane (nothing pushed off to the right) and the kind is a word at every width."""
    app = fixed_app()
    image = "ghcr.io/eli-maor/worker:v2.1.0-slow-and-crashloop"

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            ref = Ref("Deployment", "eli-maor-worker")
            worker = copy.deepcopy(app.state.obj(ref))
            worker["spec"]["template"]["spec"]["containers"][0]["image"] = image
            worker["spec"]["replicas"] = 0
            app.apply([Changed("Deployment", "MODIFIED", worker)])
            await pilot.pause()
            table = app.components_table
            row = table.get_row_index("Deployment/eli-maor-worker")
            cells = table.get_row_at(row)
            shown = str(cells[6])
            assert shown == image or ("…" in shown and shown.endswith("-crashloop")), shown
            if size[0] >= 160:
                assert shown == image
            suffix = cells[6].plain.rindex("-crashloop")
            assert any(span.start <= suffix and span.style and "bold" in str(span.style)
                       for span in cells[6].spans)  # the fault suffix is highlighted
            assert str(cells[7]) == "Scaled down" and str(cells[0]) == "Deploy"
            widths = {c.key.value: c.get_render_width(table) - 2 * table.cell_padding for c in table.columns.values()}
            assert widths["image"] >= len(shown) and widths["status"] >= len("Scaled down")
            assert table.virtual_size.width <= table.size.width  # no column pushed out of sight

    run(scenario())


# ---- where nothing is found --------------------------------------------------------------------


def test_a_missing_namespace_and_an_empty_selection_are_said(sb):
    async def scenario():
        app = RollbackConsole(connect(kubeconfig=sb.kubeconfig, namespace="nope"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(app.notices) >= 2, "two sentences")
            assert "Namespace nope does not exist on context sandbox; restart with -n and an existing namespace." \
                in app.notices
            assert "No Deployments in namespace nope; check -n and -l (or the config file)." in app.notices
        app = console(sb, selector="app=nothing")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.notices, "a sentence")
            assert list(app.notices) == ["No Deployments matching app=nothing in namespace production; check -n and -l "
                                   "(or the config file)."]

    run(scenario())


# ---- known-bad targets ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_u_on_the_fresh_demo_says_the_previous_revision_is_known_bad_and_offers_the_healthy_one(sb, size):
    # Revision 4 runs the images of failed Helm revision 3: `u` (kubectl's previous revision) still targets
    # it, but the confirmation says so first, and Ctrl+N plans revision 2 instead.
    app = console(sb, release="eli-maor")
    backend = Ref("Deployment", BACKEND)

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await ready(pilot, app)
            await wait_for(pilot, lambda: {v.revision for v in app.state.revisions(backend) if v.known_bad} == {3, 4},
                           "revisions 3 and 4 known bad")
            marked = {str(app.revisions_table.get_cell(str(v.revision), "marker"))
                      for v in app.revisions_table.revisions if v.known_bad}
            assert marked == {"✗"}
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
            first = app.screen
            assert first.operation.revision == 4
            warning = str(first.query_one("#warning", Static).render())
            assert warning.startswith("Revision 4 is known bad: Helm revision 3 failed: Upgrade failed (")
            assert "Press Ctrl+N to roll back to revision 2 instead" in warning
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen is not first,
                           "the confirmation of revision 2")
            assert app.screen.operation.revision == 2 and not app.screen.warning
            await confirm(pilot, app)
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "the rollout to complete", 60)

    run(scenario())
    d = deployment(sb)
    assert image_of(d) == "ghcr.io/eli-maor/backend:v2.0.0"
    assert [e["name"] for e in d["spec"]["template"]["spec"]["containers"][0]["env"]] == ["ELI_MAOR_ENV"]


@pytest.mark.offline
def test_a_repeated_event_updates_its_stream_line_instead_of_adding_one():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            events = [e for e in app.state.objects["Event"].values() if e.get("reason") == "BackOff"]
            event = copy.deepcopy(max(events, key=lambda e: e.get("count") or 1))
            prefix = f"BackOff: {event['message']}"
            for count in range((event.get("count") or 1) + 1, (event.get("count") or 1) + 4):
                event["count"] = count
                app.apply([Changed("Event", "MODIFIED", copy.deepcopy(event))])
                await pilot.pause()
            shown = [t for t in stream_texts(app) if t.startswith(prefix)]
            assert shown == [f"{prefix} (x{count})"]  # one line, the newest count
            await pilot.press("l", "l")  # the stream redrawn from the state: still one line
            assert [t for t in stream_texts(app) if t.startswith(prefix)] == [f"{prefix} (x{count})"]

    run(scenario())
