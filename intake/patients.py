"""Patient identity: how names are compared and searched."""

import unicodedata


def fold_name(name: str) -> str:
    """Case- and accent-insensitive form of a name for search ("Núñez" -> "nunez")."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Submission.first_name_folded and last_name_folded.
NAME_KEY_LENGTH = 100


def name_key(name: str) -> str:
    """The folded name a submission keeps for search, cut to its column.

    Folding can make a name longer ("ß" becomes "ss", NFKD turns "Ⅻ" into "XII"), so a name
    of the longest allowed length may fold to more than the column holds.
    """
    return fold_name(name)[:NAME_KEY_LENGTH]
