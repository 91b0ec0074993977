"""The eli-maor Helm release, played out as helm would have made it.

The runbook's example history:

    1 superseded  Install complete   all images v1.9.0
    2 superseded  Upgrade complete   v2.0.0 ("fix bug #123")
    3 failed      Upgrade failed     v2.0.1; backend's image crashloops, so `--wait` timed out
    4 deployed    Rollback to 2      revision 2's manifests again

Between 3 and 4 the on-call engineer turned on debug logging by hand on every
Deployment (`kubectl set env ... LOG_LEVEL=debug` and a change-cause), out of
band: helm's three-way merge on rollback sets the chart's fields back but keeps
fields the chart never set, so LOG_LEVEL survives revision 4 (drift from the
release's manifest). Each Deployment so ends with five revisions: 1 (v1.9.0),
2 (v2.0.0), 3 (v2.0.1, failed), 4 (v2.0.1 + debug), 5 (v2.0.0 + debug), and
every literal command of the runbook (`rollout history --revision=3`,
`rollout undo --to-revision=2`, `helm rollback eli-maor 2`) works on it.

Each step goes through the API and the real controllers in simulated past
time, as helm would: the objects are created or patched with helm's
ownership metadata (so real helm can upgrade and roll them back later), and
the release Secrets are written by helm's storage rules (`helm_storage`).

The manifests come from the chart in `kube_sandbox/charts/eli-maor`, rendered by
real `helm template` ahead of time (`scripts/render_seed_release.py`), and
committed under `seed_release/`: the sandbox needs no helm binary to start,
and a test re-renders them with real helm so they cannot drift from the
chart. The release JSON's `chart` part (metadata, templates, values, files)
is read from the chart directory when the seed is built.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import helm_storage as hs
from .api import STRATEGIC_PATCH, Api
from .clock import Clock
from .jsoncopy import clone
from .resources import SECRET, by_kind

RELEASE = "eli-maor"
NAMESPACE = "production"
CHART_DIR = Path(__file__).resolve().parent / "charts" / "eli-maor"  # shipped inside the package
RENDERED_DIR = Path(__file__).resolve().parent / "seed_release"
MANAGER = "helm"  # the field manager helm 3's client-side updates use
HOOK_SECONDS = 20.0  # simulated run time of the db-migrate hook Job
WAIT_TIMEOUT = 300.0  # helm's default --timeout (5m): how long revision 3 waited before failing

# What an operator typed for each revision (`--set`, `-f`): the release's "config".
DB_PASSWORD = "pg-Pr0d-s3cr3t-2026"


# The Alembic head each release's code expects (examples/eli-maor-migrations): on every pod template.
ALEMBIC_HEADS = {"v1.9.0": "8b2d3f405c61", "v2.0.0": "ad4f51627e83", "v2.0.1": "be5062738f94"}


def _config(tag: str, cause: str, **components: dict) -> dict:
    config: dict = {"image": {"tag": tag}, "changeCause": cause, "database": {"password": DB_PASSWORD},
                    "migrations": {"head": ALEMBIC_HEADS[tag]}}
    if components:
        config["components"] = components
    return config


@dataclass(frozen=True)
class Revision:
    version: int
    action: str  # install, upgrade, rollback
    config: dict
    chart_version: str
    app_version: str
    status: str  # as it ends up once the whole history is played
    description: str
    rendered: int  # which rendered manifest set it deploys (a rollback re-deploys an older one)
    rollback_to: int = 0
    hours_before_now: float = 0.0
    hooks_ran: bool = False  # the pre-upgrade hook ran (upgrades only)


REVISIONS = (
    Revision(1, "install", _config("v1.9.0", "Release v1.9.0 - add export API"), "1.9.0", "v1.9.0",
             hs.SUPERSEDED, "Install complete", 1, hours_before_now=9 * 24),
    Revision(2, "upgrade", _config("v2.0.0", "Release v2.0.0 - fix bug #123"), "2.0.0", "v2.0.0",
             hs.SUPERSEDED, "Upgrade complete", 2, hours_before_now=6 * 24, hooks_ran=True),
    Revision(3, "upgrade",
             _config("v2.0.1", "Release v2.0.1 - fix memory leak #131", backend={"image": {"tag": "v2.0.1-crashloop"}}),
             "2.0.1", "v2.0.1", hs.FAILED, "Upgrade failed", 3, hours_before_now=3, hooks_ran=True),
    Revision(4, "rollback", _config("v2.0.0", "Release v2.0.0 - fix bug #123"), "2.0.0", "v2.0.0",
             hs.DEPLOYED, "Rollback to 2", 2, rollback_to=2, hours_before_now=2.5),
)
RENDERED = sorted({r.rendered for r in REVISIONS})


@dataclass(frozen=True)
class OutOfBand:
    """A change made with kubectl to every Deployment of the release, not through helm."""

    hours_before_now: float
    env: dict[str, str]
    cause: str
    manager: str = "kubectl-patch"  # kubectl's field manager for `kubectl patch`


OUT_OF_BAND = (
    OutOfBand(2.75, {"LOG_LEVEL": "debug"}, "Debug logging for the v2.0.1 incident (LOG_LEVEL=debug)"),
)


class SeedReleaseError(RuntimeError):
    pass


def rendered_path(n: int) -> Path:
    return RENDERED_DIR / f"revision-{n}.yaml"


def rendering(n: int) -> Revision:
    """The revision whose config the rendered set `n` was made from."""
    return next(r for r in REVISIONS if r.rendered == n and r.action != "rollback")


# ---- the rendered manifests -------------------------------------------------

@dataclass
class Rendered:
    manifest: str  # the release's manifest: every non-hook document, as helm joins them
    objects: list[dict]
    hooks: list[dict]  # release hooks, last_run not yet set


SOURCE = "---\n# Source: "


def split_rendered(text: str) -> Rendered:
    """Split `helm template` output into the release manifest and its hooks.

    helm prints each document as "---\\n# Source: <path>\\n<content>\\n", manifests
    first, hooks after; the release's manifest is the non-hook part verbatim.
    """
    manifest_parts, objects, hooks = [], [], []
    for chunk in text.split(SOURCE)[1:]:
        path, _, content = chunk.partition("\n")
        content = content.removesuffix("\n")
        obj = yaml.safe_load(content)
        if not obj:
            continue
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if "helm.sh/hook" in annotations:
            hooks.append({
                "name": obj["metadata"]["name"],
                "kind": obj["kind"],
                "path": path,
                "manifest": content,
                "events": [e.strip() for e in annotations["helm.sh/hook"].split(",")],
                "last_run": {"started_at": "", "completed_at": "", "phase": ""},
                "weight": int(annotations.get("helm.sh/hook-weight", "0")),
                "delete_policies": [p.strip() for p in annotations.get("helm.sh/hook-delete-policy", "").split(",")
                                    if p.strip()],
            })
        else:
            manifest_parts.append(f"{SOURCE}{path}\n{content}\n")
            objects.append(obj)
    return Rendered("".join(manifest_parts), objects, hooks)


def load_rendered(n: int) -> Rendered:
    path = rendered_path(n)
    try:
        return split_rendered(path.read_text())
    except OSError as exc:
        raise SeedReleaseError(f"The seed release's manifests are missing ({path}: {exc.strerror}); "
                               "run scripts/render_seed_release.py.") from None


# ---- the chart as the release records it -------------------------------------

def load_chart(chart_version: str, app_version: str, chart_dir: Path = CHART_DIR) -> dict:
    """The release JSON's `chart`: as helm loads it, packaged with this version and appVersion."""
    try:
        metadata = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
        values = yaml.safe_load((chart_dir / "values.yaml").read_text()) or {}
    except OSError as exc:
        raise SeedReleaseError(f"The eli-maor chart is missing ({exc.filename}); reinstall rollback-console "
                               "with its sandbox extra: pip install 'rollback-console[sandbox]'.") from None
    metadata.update(version=chart_version, appVersion=app_version)

    def files(paths) -> list[dict]:
        return [{"name": p.relative_to(chart_dir).as_posix(), "data": base64.b64encode(p.read_bytes()).decode()}
                for p in sorted(paths) if p.is_file()]

    templates = files((chart_dir / "templates").rglob("*"))
    others = files(p for p in chart_dir.rglob("*")
                   if p.is_file() and p.name not in ("Chart.yaml", "values.yaml")
                   and "templates" not in p.relative_to(chart_dir).parts)
    return {"metadata": metadata, "lock": None, "templates": templates, "values": values,
            "schema": None, "files": others}


# ---- playing the history ------------------------------------------------------

def _owned(obj: dict) -> dict:
    """Helm's ownership metadata, which it sets on every object it creates or updates."""
    obj = clone(obj)
    meta = obj.setdefault("metadata", {})
    meta.setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
    meta.setdefault("annotations", {}).update({
        "meta.helm.sh/release-name": RELEASE, "meta.helm.sh/release-namespace": NAMESPACE,
    })
    return obj


def _key(obj: dict) -> tuple[str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"]["name"]


def _resource(obj: dict):
    rt = by_kind(obj["apiVersion"], obj["kind"])
    if rt is None:
        raise SeedReleaseError(f"The seed chart renders a {obj['kind']}, which the sandbox does not serve.")
    return rt


class Story:
    """Writes the release Secrets as helm's actions would, step by step."""

    def __init__(self, api: Api, clock: Clock):
        self.api = api
        self.clock = clock
        self.releases: dict[int, dict] = {}
        self.first_deployed: float | None = None

    def create(self, release: dict) -> None:
        self.releases[release["version"]] = release
        self.api.create(SECRET, NAMESPACE, hs.release_secret(release, created_at=self.clock.now()),
                        manager=MANAGER)

    def update(self, release: dict) -> None:
        """helm's driver Update: the whole Secret is rewritten (modifiedAt replaces createdAt)."""
        self.releases[release["version"]] = release
        secret = hs.release_secret(release, modified_at=self.clock.now())
        self.api.update(SECRET, NAMESPACE, secret["metadata"]["name"], secret, manager=MANAGER)

    def release(self, rev: Revision, rendered: Rendered, status: str, description: str) -> dict:
        now = self.clock.now()
        if self.first_deployed is None:
            self.first_deployed = now
        return {
            "name": RELEASE,
            "info": {
                "first_deployed": hs.helm_time(self.first_deployed),
                "last_deployed": hs.helm_time(now),
                "deleted": "",
                "description": description,
                "status": status,
                "notes": "",
            },
            "chart": load_chart(rev.chart_version, rev.app_version),
            "config": clone(rev.config),
            "manifest": rendered.manifest,
            "hooks": clone(rendered.hooks),
            "version": rev.version,
            "namespace": NAMESPACE,
        }


def seed_release(api: Api, clock: Clock, settle: Callable[[], None], advance: Callable[[float], None],
                 end: float) -> None:
    """Play the release's four revisions, each at its time before `end` (a real epoch time)."""
    story = Story(api, clock)
    live: dict[tuple[str, str, str], dict] = {}  # the manifests now applied, by object
    pending = sorted(OUT_OF_BAND, key=lambda o: -o.hours_before_now)
    for rev in REVISIONS:
        while pending and pending[0].hours_before_now > rev.hours_before_now:
            change = pending.pop(0)
            advance(max(0.0, end - change.hours_before_now * 3600 - clock.now()))
            _out_of_band(api, live, change)
            settle()
        advance(max(0.0, end - rev.hours_before_now * 3600 - clock.now()))
        rendered = load_rendered(rev.rendered)
        if rev.action == "install":
            release = story.release(rev, rendered, hs.PENDING_INSTALL, "Initial install underway")
            story.create(release)
            for obj in rendered.objects:
                api.create(_resource(obj), NAMESPACE, _owned(obj), manager=MANAGER)
                live[_key(obj)] = obj
            settle()
            release["info"].update(status=hs.DEPLOYED, description=rev.description)
            story.update(release)
            continue
        if rev.action == "upgrade":
            release = story.release(rev, rendered, hs.PENDING_UPGRADE, "Preparing upgrade")
        else:
            target = story.releases[rev.rollback_to]
            release = story.release(rev, rendered, hs.PENDING_ROLLBACK, f"Rollback to {rev.rollback_to}")
            release["hooks"] = clone(target["hooks"])  # a rollback keeps the target's hooks and their last runs
        story.create(release)
        if rev.hooks_ran:
            _run_hooks(release, "pre-upgrade", clock, advance)
        _apply(api, live, rendered.objects)
        settle()
        if rev.status == hs.FAILED:
            advance(WAIT_TIMEOUT)  # `--wait` gives up: the backend never becomes ready
            release["info"].update(status=hs.FAILED, description=rev.description)
            story.update(release)
            continue
        for version, older in sorted(story.releases.items()):
            if version != rev.version and older["info"]["status"] == hs.DEPLOYED:
                older["info"]["status"] = hs.SUPERSEDED
                story.update(older)
        release["info"].update(status=hs.DEPLOYED, description=rev.description)
        story.update(release)


def _out_of_band(api: Api, live: dict, change: OutOfBand) -> None:
    """`kubectl set env` on each Deployment's containers, with a change-cause: one patch each."""
    env = [{"name": k, "value": v} for k, v in change.env.items()]
    for obj in live.values():
        if obj["kind"] != "Deployment":
            continue
        containers = [{"name": c["name"], "env": env} for c in obj["spec"]["template"]["spec"]["containers"]]
        patch = {"metadata": {"annotations": {"kubernetes.io/change-cause": change.cause}},
                 "spec": {"template": {"spec": {"containers": containers}}}}
        api.patch(_resource(obj), NAMESPACE, obj["metadata"]["name"], STRATEGIC_PATCH, patch,
                  manager=change.manager)


def _run_hooks(release: dict, event: str, clock: Clock, advance: Callable[[float], None]) -> None:
    """The hook Jobs ran and succeeded (hook-succeeded deletes them, so only last_run is left)."""
    for hook in release["hooks"]:
        if event in hook["events"]:
            started = clock.now()
            advance(HOOK_SECONDS)
            hook["last_run"] = {"started_at": hs.helm_time(started), "completed_at": hs.helm_time(clock.now()),
                                "phase": "Succeeded"}


def _apply(api: Api, live: dict, objects: list[dict]) -> None:
    """helm's update: patch what changed, create what is new (deletion of dropped objects is not needed here)."""
    for obj in objects:
        key = _key(obj)
        if key not in live:
            api.create(_resource(obj), NAMESPACE, _owned(obj), manager=MANAGER)
        elif live[key] != obj:
            api.patch(_resource(obj), NAMESPACE, obj["metadata"]["name"], STRATEGIC_PATCH, _owned(obj),
                      manager=MANAGER)
        live[key] = obj
