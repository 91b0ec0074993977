"""Text cut to a cell's width without hiding what identifies it.

What is cut is cut with `…`, never silently. An image keeps its tag, and a tag
keeps its fault-looking suffix (`-crashloop`): the registry and repository go
first, then the middle of the tag.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

ELLIPSIS = "…"
# Tag endings that say a build is bad on purpose (the demo's seed) or by its name.
FAULT_SUFFIXES = ("-crashloop", "-unready", "-slow", "-errors")

# Kinds as a column shows them: short, but never a single letter (D could be anything).
KIND_SHORT = {"Deployment": "Deploy", "StatefulSet": "StatefulSet", "DaemonSet": "DaemonSet", "Rollout": "Rollout"}


def fit(text: str, width: int) -> str:
    """`text` if it fits in `width`, else its start and `…` (width >= 1)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS
    return text[: width - 1] + ELLIPSIS


def fault_suffix(tag: str) -> str:
    """The fault-looking ending of a tag (`-crashloop`), or ""."""
    for suffix in FAULT_SUFFIXES:
        if tag.endswith(suffix):
            return suffix
    return ""


def split_image(image: str) -> tuple[str, str]:
    """(repository with registry, tag or digest) of `ghcr.io/org/app:v1` -> ("ghcr.io/org/app", "v1");
    the tag is "" when there is none."""
    slash = image.rfind("/")
    name = image[slash + 1:]
    for mark in ("@", ":"):
        if mark in name:
            at = slash + 1 + name.index(mark)
            return image[:at], image[at + 1:]
    return image, ""


def fit_tag(tag: str, width: int) -> str:
    """A tag in `width`: cut in the middle, so its fault suffix (or else its end, where versions differ)
    stays readable: `v2.1.0-crashloop` in 12 is `v…-crashloop`."""
    if len(tag) <= width:
        return tag
    if width <= 1:
        return ELLIPSIS
    keep = fault_suffix(tag)
    if not keep:
        head = (width - 1) // 2
        return tag[:head] + ELLIPSIS + tag[len(tag) - (width - 1 - head):]
    if width < len(keep) + 2:  # the suffix alone does not fit: its end, which says the most
        return ELLIPSIS + keep[len(keep) - (width - 1):]
    return tag[: width - len(keep) - 1] + ELLIPSIS + keep


def fit_image(image: str, width: int) -> str:
    """`image` in `width` columns: the whole of it, else `…/name:tag`, `…name:tag`, `…tag`, then the tag cut.

    The tag is the last thing cut, and its fault suffix is never cut."""
    if len(image) <= width:
        return image
    repository, tag = split_image(image)
    if not tag:  # no tag to keep: the end of the name
        return ELLIPSIS + image[len(image) - (width - 1):] if width > 1 else ELLIPSIS
    mark = "@" if "@" in image[len(repository):len(repository) + 1] else ":"
    name = repository.rsplit("/", 1)[-1]
    short = f"{ELLIPSIS}/{name}{mark}{tag}"
    if len(short) <= width:
        return short
    room = width - len(tag) - 2  # …, the mark
    if room >= 3:  # some of the name still helps: "…kend:v2.1.0"
        return f"{ELLIPSIS}{name[-room:]}{mark}{tag}"
    if len(tag) + 1 <= width:
        return ELLIPSIS + tag
    return fit_tag(tag, min(width, len(tag) - 1))  # cut, so it shows `…` where the name went


def fit_images(images: Iterable[str], width: int) -> str:
    """Several images (one per container), comma-joined, sharing `width`."""
    images = list(images)
    if not images:
        return ""
    whole = ",".join(images)
    if len(whole) <= width:
        return whole
    each = max(1, (width - (len(images) - 1)) // len(images))
    return ",".join(fit_image(i, each) for i in images)


def odd_ones(values: Iterable[str]) -> set[str]:
    """The values that differ from the most common one (none when all agree or there is no majority)."""
    counts = Counter(values)
    if len(counts) < 2:
        return set()
    (common, n), (_, second) = counts.most_common(2)
    if n == second:  # no majority: nothing is the odd one out
        return set()
    return set(counts) - {common}


def kind_label(kind: str) -> str:
    return KIND_SHORT.get(kind, kind)


def share(room: int, wanted: list[int], least: int = 12) -> list[int]:
    """Widths for columns that can be cut, in `room` columns: each its `wanted` width when all fit; else
    the widest give up columns first, none below `least` (or its own width, if smaller)."""
    widths = list(wanted)
    while sum(widths) > room:
        n = max(range(len(widths)), key=lambda i: widths[i])
        floor = min(least, wanted[n])
        if widths[n] <= floor:
            break  # nothing more can give: the table scrolls sideways
        widths[n] = max(floor, widths[n] - (sum(widths) - room))
    return widths
