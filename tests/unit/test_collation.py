"""Danish alphabetical order of place names: Aa as two A's, and Æ, Ø, Å after Z."""

from __future__ import annotations

from service.core.collation import danish_key


def test_aa_is_two_as_and_the_danish_letters_come_after_z() -> None:
    """Aabenraa comes first, as the municipalities list it; Æ, Ø and Å follow Z in that order."""
    names = ["Åbenrå", "Zealand", "Ølstykke", "Aalborg", "Ærø", "Aabenraa", "Albertslund"]

    ordered = sorted(names, key=danish_key)

    assert ordered == ["Aabenraa", "Aalborg", "Albertslund", "Zealand", "Ærø", "Ølstykke", "Åbenrå"]


def test_case_accents_and_hyphens_do_not_move_a_name_out_of_its_letter() -> None:
    """ "é" sorts as "e", small and capital letters alike, and a hyphen before any letter."""
    names = ["Hørsholm", "Høje-Taastrup", "ebeltoft", "Égaard", "Faxe", "Lyngby-Taarbæk", "Lyngbyx"]

    ordered = sorted(names, key=danish_key)

    assert ordered == [
        "ebeltoft",
        "Égaard",
        "Faxe",
        "Høje-Taastrup",
        "Hørsholm",
        "Lyngby-Taarbæk",
        "Lyngbyx",
    ]


def test_foreign_letters_sort_as_the_danish_ones_they_stand_for() -> None:
    """ "ä" and "ö" sort as "æ" and "ø", after "z"; "ü" sorts as "y"."""
    ordered = sorted(["Öland", "Äbelø", "Zürich", "Züzz", "Zyx"], key=danish_key)

    assert ordered == ["Zürich", "Zyx", "Züzz", "Äbelø", "Öland"]
