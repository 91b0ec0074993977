"""scripts/fetch_tools.py's Debian part: a .deb (an ar archive) unpacked without dpkg, versions checked."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tests.support.tools import _fetch_tools as ft

FAKE = ft.DebTool("fakeprom", "2.42.0+ds-5+deb12u1", "2.42.0", "main/f/fakeprom", ("prometheus", "promtool"))


def script(name: str, version: str) -> bytes:
    return f"#!/bin/sh\necho '{name}, version {version}+ds (branch: debian/sid)'\n".encode()


def make_deb(path: Path, files: dict[str, bytes]) -> Path:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), 0o755
            tar.addfile(info, io.BytesIO(body))
    members = [("debian-binary", b"2.0\n"), ("control.tar.xz", b""), ("data.tar.xz", data.getvalue())]
    with open(path, "wb") as f:
        f.write(b"!<arch>\n")
        for name, body in members:
            f.write(f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n".encode())
            f.write(body + (b"\n" if len(body) % 2 else b""))
    return path


def test_unpacks_both_binaries(tmp_path):
    deb = make_deb(tmp_path / "fake.deb", {"./usr/bin/prometheus": script("prometheus", "2.42.0"),
                                           "./usr/bin/promtool": script("promtool", "2.42.0"),
                                           "./usr/share/doc/x": b"doc"})
    ft.install_deb(deb, FAKE, root=tmp_path)
    for binary in ("prometheus", "promtool"):
        path = ft.deb_tool_path(binary, FAKE, tmp_path)
        assert path == tmp_path / ".tools" / "fakeprom-2.42.0" / binary
        assert ft.deb_reported_version(path) == "2.42.0"
    assert sorted(p.name for p in (tmp_path / ".tools" / "fakeprom-2.42.0").iterdir()) == ["prometheus", "promtool"]


def test_a_wrong_version_is_refused_and_leaves_nothing(tmp_path):
    deb = make_deb(tmp_path / "fake.deb", {"./usr/bin/prometheus": script("prometheus", "2.41.0"),
                                           "./usr/bin/promtool": script("promtool", "2.42.0")})
    with pytest.raises(ft.FetchError, match=r"reports version 2\.41\.0, not 2\.42\.0"):
        ft.install_deb(deb, FAKE, root=tmp_path)
    assert not ft.deb_tool_path("prometheus", FAKE, tmp_path).exists()


def test_a_missing_binary_or_a_non_deb_is_one_sentence(tmp_path):
    deb = make_deb(tmp_path / "fake.deb", {"./usr/bin/prometheus": script("prometheus", "2.42.0")})
    with pytest.raises(ft.FetchError, match="has no usr/bin/promtool"):
        ft.install_deb(deb, FAKE, root=tmp_path)
    (tmp_path / "junk.deb").write_bytes(b"<html>not found</html>")
    with pytest.raises(ft.FetchError, match="is not a Debian package"):
        ft.install_deb(tmp_path / "junk.deb", FAKE, root=tmp_path)
