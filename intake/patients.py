"""Patient identity: how names are compared and searched."""

import unicodedata

# Latin letters that Unicode does not decompose into a base letter and an accent, so that
# NFKD alone would drop or keep them: the ASCII spelling their own languages use instead
# (a capital spelled as it starts a word: Ægir -> Aegir).
_LATIN_SPELLINGS = str.maketrans(
    dict(
        pair.split("=")
        for pair in """
            Ł=L ł=l Ø=O ø=o ß=ss ẞ=SS Æ=Ae æ=ae Œ=Oe œ=oe Đ=D đ=d Ð=D ð=d Ɖ=D ɖ=d
            Þ=Th þ=th Ħ=H ħ=h Ŧ=T ŧ=t Ŋ=Ng ŋ=ng ı=i Ə=E ə=e Ɨ=I ɨ=i Ƒ=F ƒ=f ĸ=k
        """.split()
    )
)


def fold_name(name: str) -> str:
    """Case- and accent-insensitive form of a name for search ("Núñez" -> "nunez")."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def latin_name(name: str) -> str:
    """A name with its Latin letters spelled without accents ("Zoë Łukasz" -> "Zoe Lukasz").

    Letters of other scripts are kept (in Unicode's compatibility decomposition, NFKD), and
    so is every other character but accents.
    """
    decomposed = unicodedata.normalize("NFKD", name.translate(_LATIN_SPELLINGS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Submission.first_name_folded and last_name_folded.
NAME_KEY_LENGTH = 100


def name_key(name: str) -> str:
    """The folded name a submission keeps for search, cut to its column.

    Folding can make a name longer ("ß" becomes "ss", NFKD turns "Ⅻ" into "XII"), so a name
    of the longest allowed length may fold to more than the column holds.
    """
    return fold_name(name)[:NAME_KEY_LENGTH]
