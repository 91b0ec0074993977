"""The Helm pane end to end: Pilot driving the console against a sandbox process and real helm 3 and 4.

The sandbox's eli-maor seed stores release eli-maor the way helm's secrets
driver does (1 Install complete, 2 Upgrade complete, 3 failed, 4 deployed
"Rollback to 2"); the console watches those Secrets and rolls back by running
the real helm binary. The namespace is `production`: the guard is on.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import subprocess
import time
from pathlib import Path

import pytest
from kubernetes import client

from tests.support.pilot import wait_for
from tests.support.tools import HELM, require
from tui.app import RollbackConsole
from tui.core import checklist as runbook
from tui.core.state import ERROR
from tui.helm.release import from_secret
from tui.kube.config import connect
from tui.screens.confirm import ConfirmScreen
from tui.screens.helm import HelmDiffScreen, HelmRollbackScreen

RELEASE = "eli-maor"
NS = "production"
SIZE = (120, 40)




@pytest.fixture(params=sorted(HELM, reverse=True))
def helm(request, tmp_path: Path, monkeypatch) -> str:
    # helm writes caches and config under $HOME: keep them in the test's own directory.
    monkeypatch.setenv("HOME", str(tmp_path))
    return str(require(HELM[request.param]))




def console(sb, helm: str, **options) -> RollbackConsole:
    return RollbackConsole(connect(kubeconfig=sb.kubeconfig), release=RELEASE, helm=helm, **options)


async def helm_ready(pilot, app: RollbackConsole) -> None:
    await wait_for(pilot, lambda: app.helm.history.listed and len(app.helm.history.revisions) >= 4,
                   "the release's history")
    await wait_for(pilot, lambda: app.helm.binary is not None or app.helm.unavailable, "helm's version")


def shown(app: RollbackConsole, screen_type) -> bool:
    """`screen_type` is on top and mounted down to its buttons (a pushed screen mounts over a few frames)."""
    screen = app.screen
    return isinstance(screen, screen_type) and screen.is_mounted and bool(screen.query("Button, DiffView"))


def deployed_revision(app: RollbackConsole) -> int | None:
    deployed = app.helm.history.deployed
    return deployed.revision if deployed is not None else None


def texts(app: RollbackConsole) -> list[str]:
    return [line.text for line in app.state.log]


def core(sb) -> client.CoreV1Api:
    return client.CoreV1Api(connect(kubeconfig=sb.kubeconfig).api)


def backend_image(sb) -> str:
    d = client.AppsV1Api(connect(kubeconfig=sb.kubeconfig).api).read_namespaced_deployment("eli-maor-backend", NS)
    return d.spec.template.spec.containers[0].image


def test_rollback_from_the_console_with_real_helm(sb, helm):
    app = console(sb, helm)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            assert not app.helm.unavailable
            assert app.helm.binary.major == (4 if "helm-4" in helm else 3)
            pane = app.helm.pane
            assert pane.border_title == f"Helm: {RELEASE}"
            rows = [(r.revision, r.status, r.description) for r in pane.table.revisions]
            assert rows == [(4, "deployed", "Rollback to 2"), (3, "failed", "Upgrade failed"),
                            (2, "superseded", "Upgrade complete"), (1, "superseded", "Install complete")]
            # The cursor starts on the suggested target: revision 1 (3 failed, 2 equals the deployed 4).
            assert pane.table.selected.revision == 1
            pane.table.focus()
            pane.table.select(4)
            await pilot.press("r")  # the deployed revision: nothing to roll back to
            assert app.notices[-1] == "Revision 4 is the deployed one; choose an older revision."
            pane.table.select(1)
            await pilot.press("r")
            await wait_for(pilot, lambda: shown(app, HelmRollbackScreen), "the dry-run preview", 60)
            preview = app.screen
            assert preview.dry_run_ok, preview.dry_run
            assert "backend:v1.9.0" in preview.diff and "backend:v2.0.0" in preview.diff
            await pilot.pause()
            preview.query_one("#wait").focus()
            await pilot.press("space")  # --wait: helm returns once the Deployments are ready
            assert preview.query_one("#wait").value
            await pilot.press("tab")
            assert preview.query_one("#timeout").has_focus
            preview.query_one("#timeout").value = ""
            await pilot.press(*"3m", "enter")  # enter in the timeout moves to Continue
            assert preview.query_one("#continue").has_focus
            await pilot.press("enter")
            await wait_for(pilot, lambda: shown(app, ConfirmScreen), "the confirmation")
            confirm = app.screen
            line = confirm.operation.command_line
            assert line.startswith(f"{helm} rollback {RELEASE} 1 ")
            assert "--wait" in line and "--timeout 3m" in line and f"--namespace {NS}" in line
            assert f"--kubeconfig {sb.kubeconfig}" in line and "--kube-context sandbox" in line
            assert "--dry-run" not in line
            assert confirm.guard == RELEASE
            await pilot.press(*"eli-maor-typo", "enter")  # the guard refuses a wrong name
            assert app.screen is confirm
            confirm.query_one("#guard").value = ""
            await pilot.press(*RELEASE, "enter")
            await wait_for(pilot, lambda: app.screen is not confirm, "the confirmation to close")
            assert app.scope_all  # helm's output and every Deployment's rollout, together
            # Live: the new revision arrives through the watch of the release's Secrets.
            await wait_for(pilot, lambda: deployed_revision(app) == 5, "revision 5 deployed", 120)
            assert app.helm.history.get(5).description == "Rollback to 1"
            await wait_for(pilot, lambda: any("rolled back to revision 1" in t for t in texts(app)),
                           "helm's outcome", 180)
            all_texts = texts(app)
            assert f"$ {line}" in all_texts
            assert any(t.startswith("helm: ") for t in all_texts), all_texts[-20:]  # helm's own output
            assert 'deployment "eli-maor-backend" successfully rolled out' in all_texts
            assert pane.table.revisions[0].revision == 5
            assert not app.ledger
            # The incident timeline: the action with its exact command line, then its outcome.
            action = next(e for e in app.timeline_entries if e[1] == "helm-rollback")
            assert action[2:5] == (RELEASE, f"helm rollback {RELEASE} to revision 1", line)
            outcome = [e for e in app.timeline_entries if e[1] == "outcome" and e[2] == RELEASE][-1]
            assert outcome[3] == f"Helm release {RELEASE} rolled back to revision 1." and outcome[5] is True
            assert "eli-maor-backend" in app.ledger.rolled_back  # the release's Deployments count as rolled back
            # Checklist evidence names the release: its target, then the rollback itself.
            assert app.checklist.get(runbook.TARGET).evidence == f"release {RELEASE} → revision 1"
            assert app.checklist.get(runbook.EXECUTE).evidence == f"helm release {RELEASE} rolled back to revision 1"
            assert any(e[1] == "target" and e[2] == RELEASE for e in app.timeline_entries)

    asyncio.run(scenario())
    assert backend_image(sb) == "ghcr.io/eli-maor/backend:v1.9.0"


def test_diff_masks_secrets_until_revealed(sb):
    app = console(sb, str(require(next(iter(HELM.values())))))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            table = app.helm.pane.table
            table.focus()
            table.select(1)
            await pilot.press("enter")
            await wait_for(pilot, lambda: shown(app, HelmDiffScreen), "the diff")
            screen = app.screen
            assert "values (computed)" in screen.diff
            assert "-          image: ghcr.io/eli-maor/backend:v2.0.0" in screen.diff
            secret = app.helm.history.get(1).config["database"]["password"]
            assert secret and secret not in screen.diff and "••••••" in screen.diff
            await pilot.press("m")
            assert screen.revealed and secret in screen.diff
            await pilot.press("m")
            assert secret not in screen.diff
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, HelmDiffScreen), "the diff to close")

    asyncio.run(scenario())


def test_stuck_release_is_flagged_and_recovered(sb, helm):
    """A helm upgrade killed mid-way leaves its revision pending-upgrade: the pane says so and offers
    the last deployed revision; rolling back to it recovers."""
    api = core(sb)
    name = f"sh.helm.release.v1.{RELEASE}.v4"
    secret = client.ApiClient().sanitize_for_serialization(api.read_namespaced_secret(name, NS))
    # Make revision 5 exactly as helm's storage would hold an interrupted upgrade.
    release = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(secret["data"]["release"]))))
    release.update(version=5)
    release["info"].update(status="pending-upgrade", description="Preparing upgrade")
    from kube_sandbox.helm_storage import release_secret

    api.create_namespaced_secret(NS, release_secret(release, created_at=time.time()))
    assert from_secret(client.ApiClient().sanitize_for_serialization(
        api.read_namespaced_secret(f"sh.helm.release.v1.{RELEASE}.v5", NS))).status == "pending-upgrade"
    app = console(sb, helm)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            stuck = app.helm.history.stuck
            assert stuck is not None and stuck.revision == 5 and stuck.recover_to == 4
            banner = str(app.helm.pane.query_one("#helm-banner").render())
            assert "stuck in pending-upgrade" in banner and "another operation" in banner
            assert "roll back to revision 4" in banner
            table = app.helm.pane.table
            assert table.selected.revision == 4  # the recovery is where the cursor starts
            table.focus()
            await pilot.press("r")
            await wait_for(pilot, lambda: shown(app, HelmRollbackScreen), "the preview", 60)
            assert app.screen.dry_run_ok, app.screen.dry_run
            await wait_for(pilot, lambda: app.screen.query_one("#continue").has_focus, "Continue focused")
            await pilot.press("enter")  # Continue
            await wait_for(pilot, lambda: shown(app, ConfirmScreen), "the confirmation")
            await pilot.press(*RELEASE, "enter")
            await wait_for(pilot, lambda: app.helm.history.stuck is None and deployed_revision(app) == 6,
                           "the recovery (revision 6 deployed)", 120)
            assert app.helm.history.get(6).description == "Rollback to 4"
            await wait_for(pilot, lambda: any("rolled back to revision 4" in t for t in texts(app)), "the outcome",
                           120)

    asyncio.run(scenario())


def test_a_colleagues_helm_command_appears_live(sb, tmp_path, monkeypatch):
    """helm run from another terminal: the new revision arrives through the watch, no helm subprocess polled."""
    helm = str(require(next(iter(HELM.values()))))
    monkeypatch.setenv("HOME", str(tmp_path))
    app = console(sb, helm)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            done = await asyncio.to_thread(
                subprocess.run, [helm, "rollback", RELEASE, "1", "-n", NS, "--kubeconfig", str(sb.kubeconfig)],
                capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            await wait_for(pilot, lambda: [r.revision for r in app.helm.pane.table.revisions][:1] == [5],
                           "revision 5 in the Helm pane")
            assert app.helm.pane.table.revisions[0].description == "Rollback to 1"
            # helm writes revision 5 first, then marks 4 superseded: each write arrives through the watch.
            await wait_for(pilot, lambda: app.helm.history.get(4).status == "superseded", "revision 4 superseded")

    asyncio.run(scenario())


def test_missing_helm_binary_leaves_the_pane_read_only(sb):
    app = console(sb, "/nonexistent/helm")

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            sentence = ("No helm at /nonexistent/helm: the Helm pane is read-only; install helm 3 or 4 "
                        "(https://helm.sh/docs/intro/install/, or make tools in a clone) or pass --helm PATH.")
            assert app.helm.unavailable == sentence
            assert sentence in app.notices
            assert sentence in str(app.helm.pane.query_one("#helm-banner").render())
            assert len(app.helm.pane.table.revisions) == 4  # the history still shows: it needs no helm
            app.helm.pane.table.focus()
            await pilot.press("r")
            await pilot.pause(0.2)
            assert not isinstance(app.screen, (HelmRollbackScreen, ConfirmScreen))
            assert app.notices[-1] == sentence
            assert not app.ledger

    asyncio.run(scenario())


def test_failed_helm_command_shows_helms_error_and_the_command(sb, helm):
    """A revision helm no longer has (its Secret deleted behind the console's back): the dry run fails
    and helm's own error is shown with the command line that produced it; nothing changes."""
    app = console(sb, helm)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            table = app.helm.pane.table
            table.focus()
            table.select(2)
            # Remove revision 2 from helm's storage, and ask for it before the watch reports that (no await
            # in between: the UI loop cannot apply the deletion first).
            core(sb).delete_namespaced_secret(f"sh.helm.release.v1.{RELEASE}.v2", NS)
            app.helm.rollback(2)
            await wait_for(pilot, lambda: shown(app, HelmRollbackScreen), "the preview", 60)
            preview = app.screen
            assert not preview.dry_run_ok
            assert "Error:" in preview.dry_run and f"{helm} rollback {RELEASE} 2" in preview.dry_run
            assert preview.query_one("#continue").disabled
            errors = [line.text for line in app.state.log if line.severity == ERROR]
            assert errors and "(command: " in errors[-1]
            await pilot.press("escape")
            await wait_for(pilot, lambda: not app.ledger, "the cancel")

    asyncio.run(scenario())


# ---- offline: the fixed release, no sandbox ------------------------------------------------------


@pytest.mark.offline
def test_h_toggles_the_pane_and_at_80_columns_it_takes_the_revisions_place():
    from tests.support.fixtures.helm import fixed_helm_app

    app = fixed_helm_app()

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            pane, revisions = app.helm.pane, app.console_screen.query_one("#revisions-pane")
            assert pane.display and not revisions.display  # 80x24: the Helm pane replaces Revisions
            details = str(pane.query_one("#helm-details").render())
            assert "suggested rollback: 1, the newest earlier deployed revision that differs from 4" in details
            assert "hooks of 1: eli-maor-db-migrate (Job, pre-upgrade) never ran" in details
            await pilot.press("H")
            assert not pane.display and revisions.display
            await pilot.press("H")
            assert pane.display and pane.table.has_focus

    asyncio.run(scenario())


@pytest.mark.offline
def test_read_only_refuses_a_helm_rollback_with_one_sentence():
    from tests.support.fixtures.helm import fixed_helm_app

    app = fixed_helm_app(read_only=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.helm.pane.border_subtitle == "read-only"
            app.helm.pane.table.focus()
            await pilot.press("r")
            await pilot.pause()
            assert app.notices[-1] == ("Read-only mode: Helm rollback is disabled (restart the console without "
                                       "--read-only to act).")
            assert not app.ledger and not isinstance(app.screen, (HelmRollbackScreen, ConfirmScreen))

    asyncio.run(scenario())


@pytest.mark.offline
def test_without_a_release_h_says_how_to_name_one():
    from tests.support.fixtures import fixed_app

    app = fixed_app()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.helm is None and not app.console_screen.query_one("#helm-pane").display
            await pilot.press("H")
            assert app.notices[-1] == ("No Helm release is configured; start with --release NAME (or release: in "
                                       "the config file).")

    asyncio.run(scenario())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_a_kubectl_set_image_is_drift_in_components_and_the_helm_pane(sb, size):
    app = RollbackConsole(connect(kubeconfig=sb.kubeconfig), release=RELEASE)
    backend = "eli-maor-backend"

    def drift_line() -> str:
        return str(app.helm.pane.query_one("#helm-banner").render())

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.helm.history.listed and app.components_table.row_count >= 4,
                           "the release and the components")
            # The seed's hand-set LOG_LEVEL is drift from the start.
            assert "eli-maor-backend: backend env LOG_LEVEL=debug" in drift_line()
            status = str(app.components_table.get_cell(f"Deployment/{backend}", "status"))
            # Where the pane is narrow (80 columns) drift is Δ, so the image keeps its room.
            assert status.endswith(" Δ" if size[0] < 120 else " drift"), status
            apps = client.AppsV1Api(connect(kubeconfig=sb.kubeconfig).api)
            apps.patch_namespaced_deployment(backend, NS, {"spec": {"template": {"spec": {"containers": [
                {"name": "backend", "image": "ghcr.io/eli-maor/backend:v2.1.0"}]}}}})
            await wait_for(pilot, lambda: "backend image v2.1.0" in drift_line(), "the set image in the Helm pane")
            view = app.state.component(next(r for r in app.state.workloads() if r.name == backend))
            assert [d.short for d in view.drift] == ["backend env LOG_LEVEL=debug", "backend image v2.1.0"]

    asyncio.run(scenario())


@pytest.mark.offline
def test_the_helm_preview_of_a_failed_revision_says_known_bad_and_ctrl_n_moves_to_the_suggested_one():
    from tests.support.fixtures.helm import fixed_helm_app
    from tui.controllers.helm import HelmRequest
    from tui.helm.operations import HelmResult

    app = fixed_helm_app()

    async def scenario():
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            app.helm._preview(HelmRequest(RELEASE, 3), HelmResult(True, "Dry run: fine.", "helm rollback"))
            await wait_for(pilot, lambda: shown(app, HelmRollbackScreen), "the preview")
            preview = app.screen
            assert preview.warning.startswith("Helm revision 3 is known bad: Helm revision 3 failed: Upgrade failed.")
            assert preview.alternative == 1
            assert "overwrites: eli-maor-backend backend image v2.1.0-crashloop → v2.0.1-crashloop" in preview.out_of_band
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: app.screen is not preview, "the preview to close")
            texts = [line.text for line in app.state.log]
            assert f"Cancelled: rolling back Helm release {RELEASE} to revision 3 (nothing changed)." in texts
            # Offline, so the rollback to 1 it started is refused in one sentence.
            assert app.notices[-1] == "Not connected to a cluster (offline view); nothing can change."


def test_keys_typed_during_the_dry_run_go_to_the_preview_not_the_console(sb, helm):
    app = console(sb, helm)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await helm_ready(pilot, app)
            pane = app.helm.pane
            pane.table.focus()
            pane.table.select(1)
            scope = app.scope_all
            await pilot.press("r", "l", "i", "escape")  # at once: helm's dry run is still running
            await wait_for(pilot, lambda: not app.ledger, "the cancelled rollback to be let go", 60)
            await pilot.pause(0.3)
            assert app.screen is app.console_screen  # escape, typed early, cancelled it: no preview
            assert app.scope_all == scope and app.incidents.incident is None  # l and i did not run
            assert any(t.startswith("Cancelled: ") for t in texts(app))

    asyncio.run(scenario())
