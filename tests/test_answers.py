"""What a patient types becomes a checked answer, or a message that says what to fix."""

from datetime import date

import pytest

from intake import questionnaire
from intake.answers import (
    MAX_RAW_LENGTH,
    AnswerError,
    IncompleteAnswers,
    all_answers,
    clean_text,
    keep_raw,
    parse,
    section_answers,
)
from intake.questionnaire import BY_ID, Audience, answer_text
from testkit.factories import BASE_ANSWERS, typed_input

TODAY = date(2026, 11, 25)


def answer(question_id, raw):
    return parse(BY_ID[question_id], raw, today=TODAY)


def refused(question_id, raw) -> str:
    with pytest.raises(AnswerError) as caught:
        answer(question_id, raw)
    return str(caught.value)


@pytest.mark.parametrize(
    "typed", ["04/12/1970", "4/12/1970", "04-12-1970", "04.12.1970", "04121970", "1970-04-12"]
)
def test_dates_as_people_write_them(typed):
    assert answer("date_of_birth", typed) == "1970-04-12"


def test_date_of_birth_in_the_future_is_refused():
    assert "cannot be in the future" in refused("date_of_birth", "11/26/2026")
    assert answer("date_of_birth", "11/25/2026") == "2026-11-25"  # born today is possible


def test_date_of_birth_more_than_120_years_ago_is_refused():
    assert "more than 120 years ago" in refused("date_of_birth", "11/24/1906")
    assert answer("date_of_birth", "11/25/1906") == "1906-11-25"


@pytest.mark.parametrize(
    "typed", ["13/13/1970", "02/30/1970", "31/02/1970", "yesterday", "1970", "4/12", "1970-13-01"]
)
def test_impossible_or_unreadable_dates_say_the_format(typed):
    assert "month/day/year" in refused("date_of_birth", typed)


@pytest.mark.parametrize(
    ("typed", "example"),
    [
        ("23/04/1981", "04/23/1981"),
        ("13-1-1970", "01/13/1970"),
        ("31.12.1999", "12/31/1999"),
        ("23041981", "04/23/1981"),
    ],
)
def test_a_date_written_day_first_says_so_and_how_to_write_it(typed, example):
    assert refused("date_of_birth", typed) == (
        f"{typed} looks like day/month/year. Please write month / day / year, "
        f"for example {example}."
    )


@pytest.mark.parametrize("typed", ["-312-555-0142", " -312 555 0142", ".312.555.0142", "=1+2"])
def test_a_phone_number_must_start_with_a_digit_plus_or_parenthesis(typed):
    assert refused("phone", typed).startswith("A phone number starts with a digit, + or (.")


def test_two_digit_years_are_refused_with_an_example():
    assert "4 digits" in refused("date_of_birth", "04/12/70")


def test_missing_required_answers_are_named_by_kind():
    assert refused("first_name", "   ") == "Please fill this in."
    assert refused("heart_disease", "") == "Please choose Yes or No."
    assert refused("pain_now", "") == "Please choose a number from 0 to 10."
    assert refused("pain_areas", []) == "Please choose at least one answer."
    assert refused("onset_how", "") == "Please choose one of the answers."


def test_optional_blanks_are_stored_empty():
    assert answer("email", "  ") == ""
    assert answer("treatment_so_far", []) == []
    assert answer("onset_date", "") == ""


@pytest.mark.parametrize("typed", ["jane@", "jane.example.org", "jane doe@example.org", "@x.org"])
def test_malformed_email_is_refused(typed):
    assert "does not look like an email address" in refused("email", typed)


def test_email_keeps_its_exact_form():
    assert answer("email", " Jane.Doe@Example.org ") == "Jane.Doe@Example.org"


@pytest.mark.parametrize("typed", ["555-1234", "12345", "call me", "+1 312 555 01", "=1+2"])
def test_malformed_phone_is_refused(typed):
    assert "area code" in refused("phone", typed)


@pytest.mark.parametrize("typed", ["(312) 555-0142", "+1 312 555 0142", "312.555.0142"])
def test_phone_numbers_keep_their_exact_form(typed):
    assert answer("phone", typed) == typed


def test_scale_is_a_whole_number_from_0_to_10():
    assert answer("pain_now", "0") == 0
    assert answer("pain_now", "10") == 10
    for typed in ("11", "-1", "5.5", "five"):
        assert "0 to 10" in refused("pain_now", typed)


@pytest.mark.parametrize("typed", ["\u00b2", "\u0663", "\uff15", "05", "+5"])
def test_scale_is_one_of_the_numbers_on_the_page(typed):
    # "²" is a digit to str.isdigit() but not to int(): it was a 500, not a message.
    assert "0 to 10" in refused("pain_now", typed)


def test_eight_digits_that_are_not_decimal_are_not_a_date():
    # Superscript digits pass str.isdigit(), and int() refused them with a ValueError (a 500).
    superscript = "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078"
    assert "month/day/year" in refused("date_of_birth", superscript)
    assert answer("date_of_birth", "\u0660\u0664\u0661\u0662\u0661\u0669\u0667\u0660") == (
        "1970-04-12"  # Arabic-Indic digits are decimal digits, as on an Arabic keyboard
    )


def test_choices_must_be_offered_ones():
    assert answer("sex", "female") == "female"
    assert refused("sex", "robot") == "Please choose one of the answers."
    assert "answers shown" in refused("pain_areas", ["lower_back", "tail"])


def test_multi_choice_keeps_questionnaire_order_without_duplicates():
    assert answer("pain_areas", ["hip", "shoulder", "hip"]) == ["shoulder", "hip"]


def test_none_cannot_be_combined_with_an_allergy():
    message = refused("allergies", ["none", "latex"])
    assert "No allergies" in message and "one or the other" in message


def test_text_is_cleaned_and_its_length_checked():
    assert answer("first_name", "  Zo\u00eb \t  Ann\x00 ") == "Zo\u00eb Ann"
    assert "99 characters or fewer (it has 100)" in refused("first_name", "x" * 100)
    assert answer("address", "12 River Road \r\nSpringfield\x07") == "12 River Road\nSpringfield"


def test_clean_text_composes_accents():
    assert clean_text("Jose\u0301") == "Jos\u00e9"


def test_clean_text_drops_invisible_characters_that_disguise_text():
    # A right-to-left override makes "Jane\u202eeoD" display as "JaneDoe" reversed; an
    # isolate, a zero-width space or a byte-order mark hides inside a name unseen.
    assert clean_text("Jane\u202e eoD\u202c") == "Jane eoD"
    assert clean_text("\u2067Jane\u2069 Do\u200be\ufeff") == "Jane Doe"
    assert refused("first_name", "\u202e\u200b") == refused("first_name", "")
    # What some scripts spell with stays: ZWNJ in Persian, ZWJ in emoji, direction marks.
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    assert clean_text(persian) == persian
    assert clean_text("Ana\u200f Lu\u00eds") == "Ana\u200f Lu\u00eds"


def test_keep_raw_keeps_each_field_to_its_question_s_own_limit():
    assert keep_raw(BY_ID["first_name"], "x" * 50_000) == "x" * 99
    assert keep_raw(BY_ID["address"], "y" * 10_000) == "y" * 300
    assert keep_raw(BY_ID["pain_areas"], ["hip", "nonsense", "hip", 3]) == ["hip"]
    assert keep_raw(BY_ID["first_name"], {"not": "text"}) == ""


def test_keep_raw_keeps_only_a_valid_value_of_a_choice():
    assert keep_raw(BY_ID["heart_disease"], "yes") == "yes"
    assert keep_raw(BY_ID["heart_disease"], "y" * 10_000) == ""
    assert keep_raw(BY_ID["sex"], "female") == "female"
    assert keep_raw(BY_ID["sex"], "other" * 2_000) == ""
    assert keep_raw(BY_ID["pain_now"], "7") == "7"
    assert keep_raw(BY_ID["pain_now"], "11") == ""


def test_keep_raw_never_cuts_an_answer_that_fits_its_question():
    # A textarea posts each line break as two characters, and spaces collapse when checked:
    # what fits the question's limit once cleaned is kept whole.
    address = "\r\n".join(["1 Main St"] * 30)  # 298 characters once cleaned
    assert len(address) > 300
    kept = keep_raw(BY_ID["address"], address)
    assert kept == "\n".join(["1 Main St"] * 30)
    name = "Ana  Maria " + "x" * 88  # 99 characters with single spaces
    assert keep_raw(BY_ID["first_name"], name) == "Ana Maria " + "x" * 88
    # The page's own check sees what was posted, up to MAX_RAW_LENGTH, to say how long it is.
    assert keep_raw(BY_ID["first_name"], "x" * 50_000, MAX_RAW_LENGTH) == "x" * MAX_RAW_LENGTH


def test_follow_ups_are_checked_only_when_shown():
    typed = typed_input()
    answers, errors = section_answers("medical", typed, today=TODAY)
    assert errors == {} and "cancer_details" not in answers

    typed["cancer"] = "yes"
    answers, errors = section_answers("medical", typed, today=TODAY)
    assert errors == {"cancer_details": "Please fill this in."}


def test_all_answers_names_the_first_incomplete_page():
    typed = typed_input()
    del typed["pain_now"]
    typed["pregnant"] = ""
    with pytest.raises(IncompleteAnswers) as caught:
        all_answers(typed, today=TODAY)
    assert caught.value.section_id == "visit"


def test_all_answers_drops_hidden_follow_ups_and_matches_base_answers():
    typed = typed_input()
    typed["cancer_details"] = "left over from an earlier answer"  # parent is "no"
    answers = all_answers(typed, today=TODAY)
    assert "cancer_details" not in answers
    assert answers == questionnaire.shown_answers(BASE_ANSWERS)


def test_the_review_page_uses_the_patients_words():
    def shown(question_id, value):
        return answer_text(BY_ID[question_id], value, Audience.PATIENT)

    assert shown("date_of_birth", "1970-04-12") == "April 12, 1970"
    assert shown("pain_areas", ["lower_back", "hip"]) == "Lower back, Hip"
    assert shown("heart_disease", "no") == "No"
    assert shown("pain_now", 0) == "0 out of 10"
    assert shown("email", "") is None  # the page says "Not answered"
