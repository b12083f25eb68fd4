"""A complete draft becomes exactly one Submission, in one transaction, checked again."""

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from intake import consents, drafts, questionnaire
from intake.clock import clinic_today
from intake.extensions import db
from intake.models import AuditEvent, Draft, Submission
from intake.patients import fold_name
from intake.questionnaire import BY_ID
from intake.signing import (
    CONSENT_UPDATED,
    CONSENT_UPDATED_MESSAGE,
    DraftGone,
    DraftIncomplete,
    Evidence,
    Signing,
    SigningRefused,
    submit_draft,
)
from testkit.factories import BASE_ANSWERS, make_draft, signature_payload
from testkit.races import at_once
from testkit.record_checks import problems_with

# What the questionnaire says of a phone number it cannot accept.
PHONE_REFUSED = (
    "A phone number starts with a digit, + or (. Please enter it with the area code, for "
    "example (312) 555-0142."
)
EVIDENCE = Evidence(ip_address="192.0.2.7", user_agent="Tablet browser", device_label="Desk 2")


def signing(initials: str = "JD", **overrides) -> Signing:
    clauses = consents.current().clauses
    values = {
        "initials": {clause.id: initials for clause in clauses},
        "method": "drawn",
        "drawn": signature_payload(),
        "agreed": True,
    }
    return Signing(**{**values, **overrides})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def count_created() -> int:
    """How many "submission.create" audit events exist."""
    query = select(func.count()).where(AuditEvent.action == "submission.create")
    return db.session.scalar(query)


def years_ago(years: int, days: int = 0) -> str:
    today = clinic_today()
    born = today.replace(year=today.year - years)
    return date.fromordinal(born.toordinal() + days).isoformat()


def test_submit_stores_identity_answers_consent_signature_and_evidence(app_context):
    draft, token = make_draft(email=" jane.doe@example.org ")
    started_at = draft.created_at
    submission = submit_draft(token, signing(initials="j.d."), EVIDENCE)

    db.session.expire_all()
    stored = db.session.scalars(select(Submission)).one()
    assert stored.public_id == submission.public_id
    assert (stored.first_name, stored.last_name) == ("Jane", "Doe")
    assert (stored.first_name_folded, stored.last_name_folded) == ("jane", "doe")
    assert stored.date_of_birth == date(1970, 4, 12)
    assert stored.phone == "+1 312 555 0142"
    assert stored.email == "jane.doe@example.org"
    assert stored.answers == questionnaire.shown_answers(BASE_ANSWERS)
    assert stored.questionnaire_version == questionnaire.VERSION
    assert stored.flags == []

    document = consents.current().as_shown([])  # no flag raised, so no risk note
    assert stored.consent_document == "dry_needling"
    assert stored.consent_version == document.version
    assert stored.consent_snapshot == document.snapshot()
    assert stored.consent_sha256 == consents.snapshot_sha256(stored.consent_snapshot)
    assert stored.consent_initials == {clause.id: "JD" for clause in document.clauses}
    assert stored.consent_agreed is True

    assert (stored.signer_name, stored.signer_relationship) == ("Jane Doe", "self")
    assert stored.signature_kind == "drawn"
    assert set(stored.signature_strokes) == {"width", "height", "strokes"}
    assert stored.signature_svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert stored.typed_signature is None
    assert stored.started_at == started_at
    assert stored.signed_at == stored.submitted_at
    assert (stored.ip_address, stored.user_agent, stored.device_label) == (
        "192.0.2.7",
        "Tablet browser",
        "Desk 2",
    )
    assert stored.draft_key == drafts.hash_token(token)
    # The signed PDF is rendered right after the commit.
    assert stored.status == "submitted" and stored.pdf_status == "rendered"

    assert count(Draft) == 0
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "submission.create")
    ).one()
    assert (event.action, event.target_type, event.target_id) == (
        "submission.create",
        "submission",
        str(stored.public_id),
    )


def test_flags_are_computed_from_the_answers(app_context):
    _, token = make_draft(
        {
            "anticoagulants": "yes",
            "anticoagulants_which": "Eliquis",
            "allergies": ["latex", "nickel"],
            "allergies_details": "Rash from watches",
            "diabetes": "yes",
            "diabetes_controlled": "no",
        }
    )
    stored = submit_draft(token, signing(), EVIDENCE)
    # Contraindications, then precautions, each in the questionnaire's order.
    assert stored.flags == [
        "metal_allergy",
        "blood_thinner",
        "diabetes_uncontrolled",
        "latex_allergy",
    ]
    assert stored.answers["anticoagulants_which"] == "Eliquis"


def test_a_second_submit_returns_the_first_submission(app_context):
    _, token = make_draft()
    first = submit_draft(token, signing(), EVIDENCE)
    second = submit_draft(token, signing(), EVIDENCE)
    assert second.id == first.id
    assert count(Submission) == 1
    assert count_created() == 1


def test_typed_signature(app_context):
    _, token = make_draft()
    stored = submit_draft(
        token,
        signing(method="typed", drawn="", typed_name=" jane  doe ", typed_intent=True),
        EVIDENCE,
    )
    assert stored.signature_kind == "typed"
    assert stored.typed_signature == "jane doe"
    assert stored.signature_strokes is None and stored.signature_svg is None


def test_folded_names_that_grow_are_cut_to_their_search_column(app_context):
    # Casefolding makes "ß" two letters and NFKD makes "Ⅻ" three: the folded copy of a name of
    # the longest allowed length overflowed its column (a 500 on PostgreSQL at signing).
    first = "\u00df" * BY_ID["first_name"].max_length
    last = "\u216b" * BY_ID["last_name"].max_length
    _, token = make_draft({"first_name": first, "last_name": last})
    stored = submit_draft(token, signing(initials="SX"), EVIDENCE)
    assert stored.first_name_folded == fold_name(first)[:100] == "s" * 100
    assert stored.last_name_folded == "xii" * 33 + "x"
    assert problems_with(stored) == []


def test_the_longest_names_allowed_fit_the_signers_name(app_context):
    # The signer's name is "first last"; it must fit Submission.signer_name (200).
    first = "A" * BY_ID["first_name"].max_length
    last = "B" * BY_ID["last_name"].max_length
    _, token = make_draft({"first_name": first, "last_name": last})
    stored = submit_draft(
        token,
        signing(initials="AB", method="typed", typed_name=f"{first} {last}", typed_intent=True),
        EVIDENCE,
    )
    assert stored.signer_name == stored.typed_signature == f"{first} {last}"
    assert problems_with(stored) == []


def test_a_typed_signature_longer_than_any_name_is_refused(app_context):
    # Combining marks fold away, so "J̈̈̈ane Doe" is the name to same_name(): without a limit
    # it was stored whatever its length (and PostgreSQL refused it: a 500).
    _, token = make_draft()
    stacked = "".join(letter + "\u0308" * 30 for letter in "Jane Doe")
    problems = refusal(
        token, signing(method="typed", drawn="", typed_name=stacked, typed_intent=True)
    )
    assert "Jane Doe" in problems["typed_name"]
    assert count(Submission) == 0


def test_a_consent_version_other_than_the_one_in_effect_is_never_signed(app_context):
    # The page showed one version; another came into effect before "Sign and submit".
    _, token = make_draft()
    shown = signing(consent_sha256=hashlib.sha256(b"an earlier version").hexdigest())
    assert refusal(token, shown) == {CONSENT_UPDATED: CONSENT_UPDATED_MESSAGE}
    assert count(Submission) == 0 and count(Draft) == 1
    in_effect = signing(consent_sha256=consents.current().as_shown([]).sha256)
    assert submit_draft(token, in_effect, EVIDENCE).consent_version == consents.current().version


def refusal(token, sign: Signing) -> dict[str, str]:
    with pytest.raises(SigningRefused) as caught:
        submit_draft(token, sign, EVIDENCE)
    return caught.value.problems


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"drawn": ""}, "signature", "Please sign in the box"),
        ({"drawn": signature_payload(strokes=[[(300, 100)]])}, "signature", "tap or a dot"),
        ({"drawn": '{"width": 600, "height": 200, "data": 5}'}, "signature", "could not read"),
        ({"drawn": "[" * 200_001}, "signature", "too much detail"),
        ({"initials": " "}, "initials_what", "write your initials"),
        ({"agreed": False}, "agree", "tick this box"),
        ({"method": "typed", "typed_name": "Jane"}, "typed_name", "Jane Doe"),
        ({"method": "typed", "typed_name": "Jane Doe"}, "typed_intent", "tick this box"),
        ({"method": "stamp"}, "method", "how you will sign"),
    ],
)
def test_refused_signing_stores_nothing_and_keeps_the_draft(app_context, overrides, field, words):
    draft, token = make_draft()
    before = dict(draft.data)
    problems = refusal(token, signing(**overrides))
    assert words in problems[field]
    db.session.expire_all()
    assert count(Submission) == 0
    assert drafts.load(token).data == before


def test_initials_must_match_the_signer(app_context):
    _, token = make_draft()
    problems = refusal(token, signing(initials="XY"))
    clause_ids = [clause.id for clause in consents.current().clauses]
    assert set(problems) == {f"initials_{clause_id}" for clause_id in clause_ids}
    assert "Jane Doe" in problems["initials_what"] and "JD" in problems["initials_what"]


def test_a_minor_needs_a_parent_or_guardian(app_context):
    _, token = make_draft({"date_of_birth": years_ago(18, days=1)})  # 18 tomorrow
    problems = refusal(token, signing())
    assert {"guardian_name", "guardian_relationship", "guardian_phone"} <= set(problems)
    assert "phone number" in problems["guardian_phone"]

    guardian = {"guardian_name": "Mary Roe", "guardian_relationship": "parent"}
    problems = refusal(token, signing(**guardian, guardian_phone="=1+2", initials="MR"))
    assert problems == {"guardian_phone": PHONE_REFUSED}
    problems = refusal(token, signing(**guardian, guardian_phone="(312) 555-0107", initials="JD"))
    assert set(problems) == {f"initials_{c.id}" for c in consents.current().clauses}

    stored = submit_draft(
        token,
        signing(
            guardian_name=" Mary  Roe ",
            guardian_relationship="legal_guardian",
            guardian_phone=" (312) 555-0107 ",
            initials="MR",
        ),
        EVIDENCE,
    )
    assert (stored.signer_name, stored.signer_relationship) == ("Mary Roe", "legal_guardian")
    assert stored.guardian_phone == "(312) 555-0107"


def test_an_adult_on_the_18th_birthday_signs_for_themself(app_context):
    _, token = make_draft({"date_of_birth": years_ago(18)})
    stored = submit_draft(
        token, signing(guardian_name="Mary Roe", guardian_phone="(312) 555-0107"), EVIDENCE
    )
    assert (stored.signer_name, stored.signer_relationship) == ("Jane Doe", "self")
    assert stored.guardian_phone is None  # only a minor's parent or guardian gives one


def test_an_incomplete_draft_is_sent_back_to_its_page(app_context):
    draft, token = make_draft()
    drafts.save(draft, typed={"pain_now": ""})
    with pytest.raises(DraftIncomplete) as caught:
        submit_draft(token, signing(), EVIDENCE)
    assert caught.value.section_id == "visit"
    assert count(Submission) == 0 and count(Draft) == 1


def test_an_unknown_draft_is_gone(app_context):
    with pytest.raises(DraftGone):
        submit_draft("x" * 43, signing(), EVIDENCE)


def test_concurrent_submits_of_one_draft_store_one_submission(app):
    with app.app_context():
        _, token = make_draft()
    results = at_once(4, lambda _: submit_draft(token, signing(), EVIDENCE).public_id, app)
    assert len(set(results)) == 1, results
    with app.app_context():
        assert count(Submission) == 1
        assert count(Draft) == 0
        assert count_created() == 1
