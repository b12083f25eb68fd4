"""Outcome instruments: published, scored questionnaires asked beside the health history.

Each is declared once as an `Instrument`; its page (a `Section`), its questions and its score
are generated from that declaration, and `definition.py` adds them to SECTIONS and QUESTIONS.
A second instrument (for the neck, say, or the arm) is one more `Instrument` in INSTRUMENTS.
The items' ids (`lefs_01`..) are CSV columns: never renumber them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from intake.questionnaire.items import Kind, Question, Section


@dataclass(frozen=True)
class Instrument:
    """A scored questionnaire: items all answered on one scale, the score their sum."""

    id: str  # the page's address and the prefix of its items' ids
    abbreviation: str  # how the clinic names it: "LEFS"
    title: str  # its published name
    page_title: str  # the page's heading, as the patient reads it
    instructions: str  # the published instructions, above the items
    stem: str  # the question each item completes
    items: tuple[str, ...]
    # The answer labels, in score order: the label at index n scores n.
    answer_labels: tuple[str, ...]
    # Asked when the answer to `asked_when[0]` is, or includes, one of `asked_when[1]`.
    asked_when: tuple[str, tuple[str, ...]]
    max_score: int
    mdc: int  # minimal detectable change, in points
    mcid: int  # minimal clinically important difference, in points
    citation: str

    def __post_init__(self) -> None:
        if self.max_score != (len(self.answer_labels) - 1) * len(self.items):
            raise ValueError(f"{self.id}: max_score is not the sum of the items' best answers")

    @cached_property  # read for every row of an export
    def item_ids(self) -> tuple[str, ...]:
        """The question ids of its items, in order: `lefs_01`, `lefs_02`, ..."""
        return tuple(f"{self.id}_{number:02d}" for number in range(1, len(self.items) + 1))

    @property
    def section(self) -> Section:
        """Its page of the tablet."""
        return Section(self.id, self.page_title, self.instructions)

    @property
    def questions(self) -> tuple[Question, ...]:
        """One required choice question per item, answered with the score's values."""
        choices = tuple((str(score), label) for score, label in enumerate(self.answer_labels))
        return tuple(
            Question(
                item_id,
                item,
                Kind.CHOICE,
                self.id,
                required=True,
                choices=choices,
                show_if=self.asked_when,
            )
            for item_id, item in zip(self.item_ids, self.items, strict=True)
        )

    @property
    def summary_note(self) -> str:
        """How to read the score, in one line."""
        return f"higher is better; a change of {self.mdc} points or more is meaningful"

    def score(self, answers: Mapping[str, Any]) -> int | None:
        """The total of stored answers; None when the instrument was not asked (or an item
        holds no score, which a checked submission never has)."""
        scores = range(len(self.answer_labels))
        total = 0
        for item_id in self.item_ids:
            value = answers.get(item_id)
            if not isinstance(value, str) or not value.isascii() or not value.isdigit():
                return None
            if int(value) not in scores:
                return None
            total += int(value)
        return total


@dataclass(frozen=True)
class Score:
    """An instrument's total for one submission."""

    instrument: Instrument
    total: int

    @property
    def text(self) -> str:
        """'LEFS 52 / 80'."""
        return f"{self.instrument.abbreviation} {self.total} / {self.instrument.max_score}"

    @property
    def note(self) -> str:
        """How to read it: '(higher is better; ...)'."""
        return f"({self.instrument.summary_note})"


LEFS = Instrument(
    id="lefs",
    abbreviation="LEFS",
    title="Lower Extremity Functional Scale",
    page_title="Everyday activities",
    instructions=(
        "We are interested in knowing whether you are having any difficulty at all with the "
        "activities listed below because of your lower limb problem for which you are "
        "currently seeking attention. Please provide an answer for each activity."
    ),
    stem="Today, do you or would you have any difficulty at all with:",
    items=(
        "Any of your usual work, housework or school activities",
        "Your usual hobbies, recreational or sporting activities",
        "Getting into or out of the bath",
        "Walking between rooms",
        "Putting on your shoes or socks",
        "Squatting",
        "Lifting an object, like a bag of groceries from the floor",
        "Performing light activities around your home",
        "Performing heavy activities around your home",
        "Getting into or out of a car",
        "Walking 2 blocks",
        "Walking a mile",
        "Going up or down 10 stairs (about 1 flight of stairs)",
        "Standing for 1 hour",
        "Sitting for 1 hour",
        "Running on even ground",
        "Running on uneven ground",
        "Making sharp turns while running fast",
        "Hopping",
        "Rolling over in bed",
    ),
    answer_labels=(
        "Extreme difficulty or unable to perform activity",
        "Quite a bit of difficulty",
        "Moderate difficulty",
        "A little bit of difficulty",
        "No difficulty",
    ),
    asked_when=("pain_areas", ("hip", "thigh_knee", "leg_ankle_foot")),
    max_score=80,
    mdc=9,
    mcid=9,
    citation=(
        "Binkley JM, Stratford PW, Lott SA, Riddle DL. The Lower Extremity Functional Scale "
        "(LEFS): scale development, measurement properties, and clinical application. "
        "Phys Ther. 1999;79(4):371\u2013383."
    ),
)

# Every instrument, in the order their pages come (after "This visit").
INSTRUMENTS: tuple[Instrument, ...] = (LEFS,)
SECTIONS: tuple[Section, ...] = tuple(instrument.section for instrument in INSTRUMENTS)
QUESTIONS: tuple[Question, ...] = tuple(
    question for instrument in INSTRUMENTS for question in instrument.questions
)
BY_SECTION: dict[str, Instrument] = {instrument.id: instrument for instrument in INSTRUMENTS}
BY_ITEM: dict[str, Instrument] = {
    item_id: instrument for instrument in INSTRUMENTS for item_id in instrument.item_ids
}


def scores(answers: Mapping[str, Any]) -> tuple[Score, ...]:
    """The totals of the instruments these stored answers hold, in order; none not asked."""
    totals = ((instrument, instrument.score(answers)) for instrument in INSTRUMENTS)
    return tuple(Score(instrument, total) for instrument, total in totals if total is not None)
