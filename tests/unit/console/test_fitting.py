"""Cutting text to a cell: with an ellipsis, the tag last, a fault suffix never."""

from __future__ import annotations

import pytest

from tui.core.fitting import ELLIPSIS, fit, fit_image, fit_images, fit_tag, kind_label, odd_ones, share, split_image

CRASH = "ghcr.io/eli-maor/backend:v2.1.0-crashloop"


def test_fit_cuts_with_an_ellipsis_only_when_needed():
    assert fit("Progressing", 20) == "Progressing"
    assert fit("Progressing", 8) == "Progres…"
    assert fit("Progressing", 1) == ELLIPSIS


@pytest.mark.parametrize(("width", "shown"), [
    (60, CRASH),
    (30, "…/backend:v2.1.0-crashloop"),
    (25, "…backend:v2.1.0-crashloop"),
    (17, "…v2.1.0-crashloop"),
    (16, "v2.1…-crashloop"),
    (13, "v2…-crashloop"),
    (12, "v…-crashloop"),
    (10, "…crashloop"),
])
def test_an_image_loses_its_registry_first_and_never_its_fault_suffix(width, shown):
    assert fit_image(CRASH, width) == shown
    assert len(fit_image(CRASH, width)) <= width


@pytest.mark.parametrize("width", range(1, 45))
def test_a_cut_image_always_says_it_was_cut_and_fits(width):
    shown = fit_image(CRASH, width)
    assert len(shown) <= width
    assert shown == CRASH or ELLIPSIS in shown
    if width >= 12:
        assert shown.endswith("-crashloop")


def test_a_tag_without_suffix_keeps_its_end_where_versions_differ():
    assert fit_tag("v2.1.10", 5) == "v2…10"
    assert fit_tag("v2.1.10", 7) == "v2.1.10"


def test_images_without_tag_or_with_digest():
    assert split_image("localhost:5000/app") == ("localhost:5000/app", "")
    assert split_image("a/b@sha256:abc") == ("a/b", "sha256:abc")
    assert fit_image("registry.example/nginx", 8) == "…e/nginx"


def test_several_images_share_the_room():
    shown = fit_images([CRASH, "ghcr.io/eli-maor/sidecar:v1"], 30)
    assert len(shown) <= 30 and "-crashloop" in shown and shown.count(",") == 1


def test_the_odd_ones_out_differ_from_the_majority():
    assert odd_ones(["v2.0.0", "v2.0.0", "v2.1.0-crashloop"]) == {"v2.1.0-crashloop"}
    assert odd_ones(["v2.0.0", "v2.0.0"]) == set()
    assert odd_ones(["a", "b"]) == set()  # no majority, nobody is odd


def test_the_kind_is_never_a_letter():
    assert kind_label("Deployment") == "Deploy"
    assert kind_label("Widget") == "Widget"


def test_share_cuts_the_widest_first_and_never_below_the_least():
    assert share(100, [30, 40]) == [30, 40]
    assert share(50, [30, 40]) == [30, 20]
    assert share(10, [30, 40]) == [12, 12]
    assert share(30, [5, 40]) == [5, 25]
