"""Alphabetical order of Danish place names, as a Danish reader expects a list of them."""

from __future__ import annotations

import unicodedata

# The Danish alphabet: Æ, Ø and Å come after Z.
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzæøå"
_RANK = {letter: rank + 1 for rank, letter in enumerate(_ALPHABET)}
# Foreign letters sort as the Danish ones they stand for, as Danish
# dictionaries sort them: "ä" and "ö" as "æ" and "ø", "ü" as "y".
_AS_DANISH = str.maketrans({"ä": "æ", "ö": "ø", "ü": "y"})


def danish_key(name: str) -> tuple[tuple[int, ...], str]:
    """Return a sort key that puts names in Danish alphabetical order, "Aa" read as two A's.

    Written here because no library gives this order. Babel has no collation.
    pyuca implements the root Unicode order, which puts Æ after A, Ø with O
    and Å with A. ICU's Danish collation (PyICU, CLDR) puts Æ, Ø and Å after
    Z, but also reads "aa" as "å", so Aabenraa, Aalborg and Aarhus would come
    last; the municipalities themselves list them first, and a custom ICU
    rule would bring in a native library for one list of 98 names.

    Letters other than Æ, Ø and Å lose their accents ("é" sorts as "e");
    anything that is not a letter or digit (a space, a hyphen) sorts before
    every letter. The name itself breaks remaining ties, so the order is total.
    """
    folded = name.casefold().translate(_AS_DANISH)
    ranks = []
    for character in folded:
        # Keep æ, ø and å whole: decomposing "å" would leave "a".
        letter = character if character in _RANK else unicodedata.normalize("NFKD", character)[:1]
        ranks.append(_RANK.get(letter, 0))
    return tuple(ranks), name
