"""The questionnaire's words a patient reads, for the translation catalogue.

The definition is written once, in English, and its English words are the catalogue's message
ids: the patient pages translate them as they draw them (`gettext(question.label)`), while the
staff pages, the chart's English answers and the CSV keep reading the definition as it is.
`pybabel extract` reaches them through `extract` (babel.cfg names it), so a new question is
in the catalogue the next time it is extracted, with no marker to forget.
"""

from collections.abc import Iterator

from intake.questionnaire.definition import QUESTIONS, SECTIONS, Kind
from intake.questionnaire.instruments import INSTRUMENTS


def patient_strings() -> Iterator[tuple[str, str]]:
    """Every text of the questionnaire a patient may read, with where it comes from."""
    for section in SECTIONS:
        yield section.title, f"section {section.id}"
        if section.intro:
            yield section.intro, f"section {section.id}: intro"
    for instrument in INSTRUMENTS:
        yield instrument.stem, f"{instrument.abbreviation}: stem"
    for question in QUESTIONS:
        yield question.label, f"question {question.id}"
        if question.help:
            yield question.help, f"question {question.id}: help"
        if question.kind in (Kind.CHOICE, Kind.MULTI):
            for value, label in question.choices:
                yield label, f"question {question.id}: answer {value}"


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """A Babel extraction method: the questionnaire's patient texts, once each."""
    seen = set()
    for text, where in patient_strings():
        if text not in seen:
            seen.add(text)
            yield 1, "_", text, [where]
