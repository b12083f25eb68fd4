"""Medicines named in free text: which words of a patient's medicine list name a listed drug.

The lists are data files beside this module (blood_thinners.toml), each naming its source.
Matching compares whole words, ignoring case and accents: "Coumadín 5mg" names warfarin,
"Eliquisx" and "heparinoid" name nothing. A word followed by "-free" ("aspirin-free") is not
a mention. Anything subtler ("stopped warfarin last year") is left to the therapist, who
reads the matched word beside the answer.
"""

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

_HERE = Path(__file__).parent
# Letters, and the accents a letter may carry as a mark of its own ("Coumadi\u0301n"), only:
# "Eliquis5mg" splits into "Eliquis" and "mg"; "warfarin-free" into two words.
_WORD = re.compile(
    r"(?:[^\W\d_]|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+"
)
_NOT_A_MENTION = re.compile(r"\s*-\s*free\b", re.IGNORECASE)


@dataclass(frozen=True)
class Medicine:
    """One listed drug: the generic name staff read, and the words that name it."""

    generic: str
    drug_class: str
    words: tuple[str, ...]  # folded: the generic, brand names, tested misspellings


@dataclass(frozen=True)
class DrugList:
    """A list of medicines from one data file, and the source it names."""

    title: str
    source: str
    medicines: tuple[Medicine, ...]

    @cached_property
    def by_word(self) -> dict[str, Medicine]:
        """Each folded word, and the medicine it names."""
        return {word: medicine for medicine in self.medicines for word in medicine.words}


@dataclass(frozen=True)
class Mention:
    """A word of the text, as typed, that names a listed medicine."""

    typed: str
    generic: str


def fold(text: str) -> str:
    """Text without case or accents, for comparing words ("Coumadín" reads "coumadin")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@cache
def drug_list(name: str) -> DrugList:
    """The list kept in `<name>.toml` beside this module."""
    data = tomllib.loads((_HERE / f"{name}.toml").read_text(encoding="utf-8"))
    medicines = tuple(
        Medicine(
            generic=entry["generic"],
            drug_class=entry["class"],
            words=tuple(
                fold(word) for word in (entry["generic"], *entry["names"], *entry["misspellings"])
            ),
        )
        for entry in data["medicine"]
    )
    for medicine in medicines:
        for word in medicine.words:
            if not _WORD.fullmatch(word):
                raise ValueError(f"{name}.toml: {word!r} is not one word of letters")
    return DrugList(data["title"], data["source"], medicines)


def mentions(text: str, drugs: DrugList) -> list[Mention]:
    """The listed medicines the text names, each once, in the order first named."""
    text = unicodedata.normalize("NFC", text)
    by_word = drugs.by_word
    found: dict[str, Mention] = {}
    for match in _WORD.finditer(text):
        medicine = by_word.get(fold(match.group()))
        if medicine is None or medicine.generic in found:
            continue
        if _NOT_A_MENTION.match(text, match.end()):
            continue
        found[medicine.generic] = Mention(match.group(), medicine.generic)
    return list(found.values())
