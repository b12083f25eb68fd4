"""Patient identity: how names are compared and searched."""

import unicodedata


def fold_name(name: str) -> str:
    """Case- and accent-insensitive form of a name for search ("Núñez" -> "nunez")."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
