"""The shapes a questionnaire is declared in: a section (one page of the tablet), a question
and the kinds of answer. The health history (`definition.py`) and the outcome instruments
(`instruments.py`) are both declared with them."""

from dataclasses import dataclass


class Kind:
    """The type of an answer."""

    YES_NO = "yes_no"  # "yes" / "no"
    CHOICE = "choice"  # one of the choices
    MULTI = "multi"  # any of the choices, a list
    TEXT = "text"  # one line
    LONG_TEXT = "long_text"  # several lines
    DATE = "date"  # ISO YYYY-MM-DD
    SCALE = "scale"  # whole number 0..10
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class Raises:
    """An answer (or one choice of a multi-choice answer) that raises a flag; with `only_if`,
    only when another answer also is, or includes, one of some values (lung disease matters
    for needling only where the lungs lie under the painful area)."""

    value: str
    flag: str
    only_if: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Section:
    """A group of questions shown together on one page of the tablet."""

    id: str
    title: str
    intro: str = ""
    # The page offers "Answer No to the rest": each yes/no question of its list not answered
    # yet becomes No, still to be changed (intake.questionnaire.rules.no_to_the_rest).
    quick_no: bool = False


@dataclass(frozen=True)
class Question:
    """One item of the questionnaire: a question of the health history or of an instrument."""

    id: str
    label: str
    kind: str
    section: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    max_length: int = 200
    # Shown (and answerable) only when the answer to `show_if[0]` is, or includes, one of
    # the values in `show_if[1]` (a question of the same page: the tablet shows it at once,
    # or of an earlier page: a page where nothing applies is skipped).
    show_if: tuple[str, tuple[str, ...]] | None = None
    # Not asked when the answer to `hide_if[0]`, a question of an earlier page, is one of
    # `hide_if[1]`: pregnancy is never asked of a patient who said male.
    hide_if: tuple[str, tuple[str, ...]] | None = None
    # The answers that raise flags. Checked against FLAGS and the allowed values when the
    # module loads.
    flags: tuple[Raises, ...] = ()

    @property
    def choice_values(self) -> tuple[str, ...]:
        """The allowed stored values of a yes/no, choice or multi question."""
        if self.kind == Kind.YES_NO:
            return ("yes", "no")
        return tuple(value for value, _ in self.choices)
