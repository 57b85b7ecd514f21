"""Charge-card names: a tag id matches whatever its case and spaces; a name is one short line."""

from __future__ import annotations

from bot.core.tags import MAX_TAG_NAME, clean_name, tag_key, tag_name


def test_a_tag_id_matches_whatever_its_case_and_surrounding_spaces() -> None:
    names = {tag_key(" 04a3b2c1"): "Anna"}
    assert tag_name(names, "04A3B2C1") == "Anna"
    assert tag_name(names, "04F19A7E") is None
    assert tag_name(names, None) is None
    assert tag_name(names, "") is None


def test_a_name_has_its_spaces_collapsed_and_is_refused_when_empty_or_too_long() -> None:
    assert clean_name("  Anna   de  Vries ") == "Anna de Vries"
    assert clean_name("   ") is None
    assert clean_name("x" * (MAX_TAG_NAME + 1)) is None
    assert clean_name("x" * MAX_TAG_NAME) == "x" * MAX_TAG_NAME
