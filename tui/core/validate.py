"""Names and free text checked before they reach a request or a command line (pure: no client)."""

from __future__ import annotations

import re

from .errors import ConsoleError, one_line

MAX_TEXT = 512  # change-causes and reasons are kept to one readable line


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def validate_name(name: str) -> str:
    """A Deployment name is a DNS-1123 subdomain; check it before it reaches a command line."""
    if not isinstance(name, str) or len(name) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(name):
        raise ConsoleError(f"{name!r} is not a valid Deployment name (lower-case letters, digits, '-' and '.'); "
                           "pick the component from the list.")
    return name


def validate_namespace(namespace: str) -> str:
    """A namespace is a DNS-1123 label."""
    if not isinstance(namespace, str) or len(namespace) > 63 or not _DNS1123_LABEL.fullmatch(namespace):
        raise ConsoleError(f"{namespace!r} is not a valid namespace (lower-case letters, digits and '-'); "
                           "check the namespace you passed.")
    return namespace


def validate_label(key: str, value: str) -> tuple[str, str]:
    """A label key is a qualified name (optional DNS prefix + '/'), its value at most 63 safe characters."""
    prefix, _, local = key.rpartition("/") if isinstance(key, str) else ("", "", "")
    ok = bool(local) and len(local) <= 63 and _QUALIFIED_NAME.fullmatch(local)
    ok = ok and (not prefix or (len(prefix) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(prefix)))
    if not ok:
        raise ConsoleError(f"{key!r} is not a valid label key; use letters, digits, '-', '_' and '.'.")
    if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        raise ConsoleError(f"{value!r} is not a valid label value; use at most 63 letters, digits, '-', '_' and '.'.")
    return key, value


def sanitize_text(text: str, limit: int = MAX_TEXT) -> str:
    """One line, no control characters, bounded: what may go into an annotation."""
    return one_line(text or "", limit)
