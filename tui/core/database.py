"""The database side of a rollback, as plain data: which schema a revision's code expects, and whether
rolling back to it needs a downgrade (issue 13).

Alembic itself is read in tui/database/; this module only judges what it read, so the verdict
("compatible, because ..." / "downgrade to X, because ...") is testable without a database.

A migration may declare itself backward compatible (module-level `backward_compatible = True`, the
"expand" half of expand/contract): the code of the revision before it still runs against the schema
after it. Rolling back past such migrations needs no downgrade; past any other one it does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

ANNOTATION = "rollback-console/alembic-head"  # on a pod template: the Alembic head its code expects
BASE = "base"


@dataclass(frozen=True)
class Migration:
    revision: str
    down: tuple[str, ...]  # its down revisions (empty: it starts from base)
    message: str
    backward_compatible: bool = False

    @property
    def short(self) -> str:
        return f"{self.revision} ({self.message})" if self.message else self.revision


@dataclass(frozen=True)
class Schema:
    """What Alembic says: the database's current revision(s), the scripts' heads and their history."""

    current: tuple[str, ...]  # empty: the database is at base (or has no alembic_version table)
    heads: tuple[str, ...]
    history: tuple[Migration, ...]  # newest first, as `alembic history` lists it
    where: str = ""  # the database, its password masked

    def get(self, revision: str) -> Migration | None:
        return self._by_revision.get(revision)

    @cached_property
    def _by_revision(self) -> dict[str, Migration]:
        return {m.revision: m for m in self.history}

    def below(self, revision: str) -> set[str]:
        """Every revision `revision` stands on (its ancestors), not itself."""
        by = self._by_revision
        seen: set[str] = set()
        todo = list(by[revision].down) if revision in by else []
        while todo:
            rev = todo.pop()
            if rev not in seen:
                seen.add(rev)
                todo.extend(by[rev].down if rev in by else ())
        return seen

    def between(self, upper: str, lower: str) -> list[Migration]:
        """The migrations above `lower` up to `upper` (included), newest first: what a downgrade from
        `upper` to `lower` undoes (`lower` may be BASE)."""
        kept = {upper} | self.below(upper)
        if lower != BASE:
            kept -= {lower} | self.below(lower)
        return [m for m in self.history if m.revision in kept]

    def index(self, revision: str) -> int:
        return next((n for n, m in enumerate(self.history) if m.revision == revision), len(self.history))


@dataclass(frozen=True)
class Expected:
    """The head a revision's code expects, and where that was read."""

    revision: str
    source: str  # "annotation rollback-console/alembic-head", "image tag v2.0.0"


def expected_head(template: Mapping | None, annotation: str = ANNOTATION,
                  versions: Mapping[str, str] | None = None) -> Expected | None:
    """From a pod template: its annotation, else the `database.versions` entry of one of its images' tags."""
    template = template or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    head = annotations.get(annotation)
    if isinstance(head, str) and head.strip():
        return Expected(head.strip(), f"annotation {annotation}")
    for container in (template.get("spec") or {}).get("containers") or []:
        tag = image_tag(container.get("image") or "")
        if versions and tag in versions:
            return Expected(versions[tag], f"image tag {tag}")
    return None


def image_tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name and "@" not in name else ""


# What a verdict says: the old code runs on the schema as it is, a downgrade is needed, the database is
# behind the target (an upgrade, not a rollback, would be needed), or nothing can be said.
COMPATIBLE, DOWNGRADE, BEHIND, UNKNOWN = "compatible", "downgrade", "behind", "unknown"


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str  # one sentence
    downgrade_to: str = ""  # with DOWNGRADE: the revision to downgrade to (or BASE)
    undone: tuple[Migration, ...] = field(default=())  # with DOWNGRADE: what it undoes, newest first

    @property
    def compatible(self) -> bool:
        return self.outcome == COMPATIBLE

    @property
    def headline(self) -> str:
        if self.outcome == COMPATIBLE:
            return "compatible"
        if self.outcome == DOWNGRADE:
            return f"downgrade to {self.downgrade_to} needed"
        if self.outcome == BEHIND:
            return "database behind the target"
        return "unknown"


def verdict(schema: Schema, expected: Expected | None, target: str) -> Verdict:
    """Can the code of `target` (e.g. "backend revision 3") run on the database as it is now?"""
    if expected is None:
        return Verdict(UNKNOWN, f"{target} does not say which Alembic head it expects: annotate its pod template "
                       f"with {ANNOTATION} or map its image tag under database.versions.")
    want = expected.revision
    if schema.get(want) is None:
        return Verdict(UNKNOWN, f"{target} expects {want} ({expected.source}), which the migrations folder does "
                       "not hold; check alembic_ini points at this application's migrations.")
    if len(schema.current) > 1:
        return Verdict(UNKNOWN, f"The database has several heads ({', '.join(schema.current)}); merge them "
                       "(alembic merge) before judging a rollback.")
    if not schema.current:
        return Verdict(BEHIND, f"The database is at base (no migration applied); {target} expects {want}: it "
                       f"needs alembic upgrade {want}, not a downgrade.")
    current = schema.current[0]
    if schema.get(current) is None:
        return Verdict(UNKNOWN, f"The database is at {current}, which the migrations folder does not hold; "
                       "check alembic_ini points at this application's migrations.")
    if current == want:
        return Verdict(COMPATIBLE, f"The database is at {want}, the head {target} expects ({expected.source}).")
    if want in schema.below(current):
        above = schema.between(current, want)
        blocking = [m for m in above if not m.backward_compatible]
        if not blocking:
            return Verdict(COMPATIBLE, f"{target} expects {want}; every migration above it is backward "
                           f"compatible: {_names(above)}.")
        newest = blocking[0]  # history is newest first: undo down to just below the newest blocking one
        to = newest.down[0] if len(newest.down) == 1 else want
        undone = tuple(schema.between(current, to))
        kept = [m for m in above if m not in undone]
        said = f"; {_names(kept)} can stay (backward compatible)" if kept else ""
        return Verdict(DOWNGRADE, f"{target} expects {want}, and {_names(blocking, 'is', 'are')} not backward "
                       f"compatible: downgrade to {to}{said}.", downgrade_to=to or BASE, undone=undone)
    if current in schema.below(want):
        return Verdict(BEHIND, f"The database at {current} is older than {want}, which {target} expects: it "
                       f"needs alembic upgrade {want}, not a downgrade.")
    return Verdict(UNKNOWN, f"The database at {current} and {want}, which {target} expects, are on different "
                   "branches; merge them before judging a rollback.")


def _names(migrations: Sequence[Migration], one: str = "", many: str = "") -> str:
    text = ", ".join(m.short for m in migrations)
    if one:
        text += f" {one if len(migrations) == 1 else many}"
    return text


def downgrade_target(schema: Schema, step: str) -> str:
    """Where `alembic downgrade STEP` would take the database ("-1", "-N", a revision, "base"), as a revision
    (or BASE); a ConsoleError-free check: raises ValueError with one sentence when it cannot."""
    if len(schema.current) > 1:
        raise ValueError(f"The database has several heads ({', '.join(schema.current)}); downgrade one of them "
                         "with alembic by hand, or merge them first.")
    current = schema.current[0] if schema.current else ""
    if not current:
        raise ValueError("The database is at base: there is nothing to downgrade.")
    if step == BASE:
        return BASE
    if step.startswith("-") and step[1:].isdigit():
        n, at = int(step[1:]), current
        if n < 1:
            raise ValueError(f"Downgrade {step} moves nowhere; give -1 or more.")
        for taken in range(n):
            migration = schema.get(at)
            if migration is None or at == BASE:
                raise ValueError(f"A downgrade of {step} goes past base: the database at {current} is only "
                                 f"{taken} migrations above it.")
            if len(migration.down) > 1:
                raise ValueError(f"{at} merges several revisions; downgrade to a named revision instead of {step}.")
            at = migration.down[0] if migration.down else BASE
        return at
    if schema.get(step) is None:
        raise ValueError(f"No revision {step} in the migrations folder; pick one of the history.")
    if step == current:
        raise ValueError(f"The database is already at {step}.")
    if step not in schema.below(current):
        raise ValueError(f"{step} is not below the database's revision {current}; a downgrade only goes down.")
    return step


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ***, for the screen and the audit log."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if not sep or "@" not in authority:
        return url
    userinfo, _, host = authority.rpartition("@")  # a password may hold @; the host never does
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}{slash}{path}"
