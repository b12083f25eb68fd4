"""The tablet's forms, built from the questionnaire definition and the current consent.

No question is listed here: each page's form class is generated from `intake.questionnaire`,
and the rules for what is a valid answer live in `intake.answers` (shared with the service
that stores the submission), so the page and the stored record can never disagree.
"""

from collections.abc import Collection, Mapping
from datetime import date
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from intake import answers, drafts, questionnaire, signatures
from intake.consents import ConsentDocument
from intake.models import SignatureKind
from intake.questionnaire import Kind, Question
from intake.signing import (
    FOR_PATIENT,
    FOR_SELF,
    GUARDIAN_PHONE,
    GUARDIAN_RELATIONSHIPS,
    REPRESENTATIVE_RELATIONSHIPS,
    Signing,
)
from intake.translation import N_

# The most the draft keeps of one text field of the consent page.
KEPT_SIGNING_LENGTH = 200

# Single-line inputs: the keyboard a tablet should offer. Autofill stays off everywhere:
# the tablet is shared, and one patient must never be offered another's details.
_INPUT_ATTRIBUTES = {
    Kind.TEXT: {},
    Kind.EMAIL: {"type": "email", "inputmode": "email", "spellcheck": "false"},
    Kind.PHONE: {"type": "tel", "inputmode": "tel"},
    Kind.DATE: {"inputmode": "numeric"},
}


class MultiCheckboxField(SelectMultipleField):
    """Any number of choices, as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _field_for(question: Question) -> Field:
    """The WTForms field of one question. Validation is the questionnaire's, not the field's."""
    if question.kind == Kind.YES_NO:
        choices = _choices([("yes", N_("Yes")), ("no", N_("No"))])
        return RadioField(question.label, choices=choices, validate_choice=False)
    if question.kind == Kind.CHOICE:
        choices = _choices(question.choices)
        return RadioField(question.label, choices=choices, validate_choice=False)
    if question.kind == Kind.SCALE:
        choices = _choices((str(n), str(n)) for n in range(11))
        return RadioField(question.label, choices=choices, validate_choice=False)
    if question.kind == Kind.MULTI:
        choices = _choices(question.choices)
        return MultiCheckboxField(question.label, choices=choices, validate_choice=False)
    render_kw = {"autocomplete": "off", **_INPUT_ATTRIBUTES.get(question.kind, {})}
    if question.kind == Kind.LONG_TEXT:
        return TextAreaField(question.label, render_kw={"autocomplete": "off", "rows": 3})
    return StringField(question.label, render_kw=render_kw)


class SectionForm(FlaskForm):
    """One page of the health history; subclasses carry one field per question."""

    section_id: str = ""

    def typed_input(self, limit: int | None = None) -> dict[str, answers.Raw]:
        """What was typed on this page, as the draft keeps it: each text to its question's
        limit, or to `limit` (a refused page keeps what it refuses as typed)."""
        return {
            question.id: answers.keep_raw(question, self[question.id].data or "", limit)
            for question in questionnaire.questions_in(self.section_id)
        }

    def check(
        self, earlier_input: Mapping[str, Any], today: date, required: Collection[str] = ()
    ) -> dict[str, Any] | None:
        """Check this page's answers; put each problem on its field. The answers, or None.
        `required`: the optional questions the clinic requires."""
        # As posted (within MAX_RAW_LENGTH), not as the draft keeps them: a text longer than
        # its question allows is refused with a message, never cut short unseen.
        posted = {
            question.id: answers.keep_raw(
                question, self[question.id].data or "", answers.MAX_RAW_LENGTH
            )
            for question in questionnaire.questions_in(self.section_id)
        }
        typed = {**earlier_input, **posted}
        checked, errors = answers.section_answers(
            self.section_id, typed, today=today, required=required
        )
        for question_id, message in errors.items():
            self[question_id].errors = [message]
        return None if errors else checked


@cache
def section_form(section_id: str) -> type[SectionForm]:
    """The form class of one page of the health history, generated from the questionnaire."""
    fields = {q.id: _field_for(q) for q in questionnaire.questions_in(section_id)}
    if not fields:
        raise KeyError(section_id)
    return type(f"{section_id.title()}Form", (SectionForm,), {"section_id": section_id, **fields})


class ResumeForm(FlaskForm):
    """The date of birth that reopens a draft held at the welcome screen."""

    date_of_birth = _field_for(drafts.DATE_OF_BIRTH)


def show_errors(form: FlaskForm, errors: Mapping[str, str]) -> None:
    """Put messages from a service on the form's fields."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = [message]


class ConsentForm(FlaskForm):
    """The consent page: initials per clause, agreement, the signer and the signature.

    The signing rules (initials match the signer, a guardian for a minor, enough ink) are
    `intake.signing.check_signing`, applied when the form is submitted.
    """

    agree = BooleanField()  # labelled with the document's own agreement (consent_form)
    # Labels are marked for the catalogue and translated as the page draws them.
    guardian_name = StringField(
        N_("Parent\u2019s or legal guardian\u2019s full name"), render_kw={"autocomplete": "off"}
    )
    guardian_relationship = RadioField(
        N_("Relationship to the patient"),
        choices=_choices((value, value.label) for value in GUARDIAN_RELATIONSHIPS),
        validate_choice=False,
    )
    guardian_phone = _field_for(GUARDIAN_PHONE)
    signing_for = RadioField(
        N_("Who is signing?"),
        choices=_choices(
            [
                (FOR_SELF, N_("I am signing for myself")),
                (
                    FOR_PATIENT,
                    N_(
                        "I am the patient\u2019s legally authorised representative "
                        "(for example health-care power of attorney)"
                    ),
                ),
            ]
        ),
        default=FOR_SELF,
        validate_choice=False,
    )
    representative_name = StringField(
        N_("Representative\u2019s full name (your name)"), render_kw={"autocomplete": "off"}
    )
    representative_relationship = RadioField(
        N_("What allows you to sign for the patient?"),
        choices=_choices((value, value.label) for value in REPRESENTATIVE_RELATIONSHIPS),
        validate_choice=False,
    )
    method = RadioField(
        N_("How would you like to sign?"),
        choices=_choices(
            [
                (SignatureKind.DRAWN, N_("Sign with my finger")),
                (SignatureKind.TYPED, N_("Type my name")),
            ]
        ),
        default=SignatureKind.DRAWN,
        validate_choice=False,
    )
    signature = HiddenField("Signature")
    typed_name = StringField(N_("Type your full name"), render_kw={"autocomplete": "off"})
    typed_intent = BooleanField(N_("I intend this typed name as my signature."))
    # Which version the page showed (set whenever the page is drawn), so that a version that
    # came into effect meanwhile is refused rather than signed unseen.
    consent_sha256 = HiddenField()

    def initials_field(self, clause_id: str) -> Field:
        """The initials box of one clause."""
        return self[f"initials_{clause_id}"]

    def signing(self, document: ConsentDocument) -> Signing:
        """What was posted, for the signing rules."""
        return Signing(
            initials={c.id: self.initials_field(c.id).data or "" for c in document.clauses},
            method=self.method.data or "",
            drawn=self.signature.data or "",
            typed_name=self.typed_name.data or "",
            typed_intent=bool(self.typed_intent.data),
            agreed=bool(self.agree.data),
            guardian_name=self.guardian_name.data or "",
            guardian_relationship=self.guardian_relationship.data or "",
            guardian_phone=self.guardian_phone.data or "",
            signing_for=self.signing_for.data or "",
            representative_name=self.representative_name.data or "",
            representative_relationship=self.representative_relationship.data or "",
            consent_sha256=self.consent_sha256.data or "",
        )

    def kept_input(self, signature_ok: bool) -> dict[str, Any]:
        """What the draft keeps of this page so an error or reload loses nothing typed
        (a signature only when it was valid, as the patient must draw a bad one again)."""
        kept = {
            name: (
                field.data
                if isinstance(field.data, bool)
                else answers.keep_text(field.data or "", KEPT_SIGNING_LENGTH)
            )
            for name, field in self._fields.items()
            if name not in ("csrf_token", "signature")
        }
        if signature_ok:
            kept["signature"] = self.signature.data or ""
        return kept


@cache
def consent_form(
    document_id: str, version: str, clause_ids: tuple[str, ...], agreement: str
) -> type[ConsentForm]:
    """The consent form class for one document version: an initials box per clause, and the
    agreement in the version's words."""
    fields: dict[str, Field] = {"agree": BooleanField(agreement)}
    fields |= {
        f"initials_{clause_id}": StringField(
            "Your initials",
            render_kw={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "maxlength": signatures.MAX_INITIALS_CHARS,
            },
        )
        for clause_id in clause_ids
    }
    return type("ConsentForm_" + document_id + "_v" + version, (ConsentForm,), fields)


def consent_form_for(document: ConsentDocument) -> type[ConsentForm]:
    """The consent form class for this consent document."""
    return consent_form(
        document.document_id,
        document.version,
        tuple(c.id for c in document.clauses),
        document.agreement_text,
    )
