"""The health-history questionnaire, declared once: sections, questions and the flags answers raise.

Every other part of Intake reads this definition: the kiosk builds its pages and WTForms
fields from it, the chart PDF lists it, the EHR export names its columns after the stable
ids, and the staff dashboard shows the flags it raises. Adding a question is one edit here.
Renaming an id or changing an allowed value breaks the CSV contract: bump VERSION.
"""

from dataclasses import dataclass
from enum import StrEnum

VERSION = "3"


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


class Severity(StrEnum):
    """How much a flag weighs; red flags are listed first, then dry needling's contraindications
    and precautions."""

    RED_FLAG = "red_flag"  # review before any treatment; consider referral to a doctor
    CONTRAINDICATION = "contraindication"
    PRECAUTION = "precaution"

    @property
    def label(self) -> str:
        """How staff pages and the chart name it."""
        return {
            Severity.RED_FLAG: "Red flag",
            Severity.CONTRAINDICATION: "Contraindication",
            Severity.PRECAUTION: "Precaution",
        }[self]


@dataclass(frozen=True)
class Flag:
    """A red flag, or a dry-needling contraindication or precaution, raised by an answer."""

    code: str
    label: str
    severity: str  # a Severity; "" for a stored code this version no longer declares
    reason: str = ""  # why it matters, in a line staff can read (every red flag has one)

    @property
    def is_red_flag(self) -> bool:
        """Whether it asks for review before any treatment, not only before needling."""
        return self.severity == Severity.RED_FLAG

    @property
    def severity_label(self) -> str:
        """Its family as staff read it; empty for a code this version no longer declares."""
        return Severity(self.severity).label if self.severity else ""


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
    """One item of the health history."""

    id: str
    label: str
    kind: str
    section: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    max_length: int = 200
    # Shown (and answerable) only when the answer to `show_if[0]` is, or includes, one of
    # the values in `show_if[1]`.
    show_if: tuple[str, tuple[str, ...]] | None = None
    # (answer value, flag code): the answer, or a choice among a multi-choice answer, that
    # raises the flag. Checked against FLAGS and the allowed values when the module loads.
    flags: tuple[tuple[str, str], ...] = ()

    @property
    def choice_values(self) -> tuple[str, ...]:
        """The allowed stored values of a yes/no, choice or multi question."""
        if self.kind == Kind.YES_NO:
            return ("yes", "no")
        return tuple(value for value, _ in self.choices)


# Red flags: symptoms that may mean a condition a doctor should see before therapy (Goodman &
# Snyder's screening for referral; the international framework for red flags in spinal
# pathology). Sources for each: docs/clinical-content.md.
_RED_FLAGS = (
    Flag(
        "generally_unwell",
        "Feels generally unwell",
        Severity.RED_FLAG,
        "Constitutional symptom: ask what has changed; screen for systemic illness.",
    ),
    Flag(
        "unexplained_weight_loss",
        "Weight loss without trying",
        Severity.RED_FLAG,
        "Possible cancer or systemic disease: ask how much and how fast; refer if unexplained.",
    ),
    Flag(
        "fever_night_sweats",
        "Fever, chills or night sweats",
        Severity.RED_FLAG,
        "Possible infection (e.g. spinal or joint) or cancer: check temperature; refer.",
    ),
    Flag(
        "night_pain",
        "Night pain not eased by rest or position",
        Severity.RED_FLAG,
        "Pain no position changes suggests a non-mechanical cause (tumour, infection): refer.",
    ),
    Flag(
        "significant_trauma",
        "Recent bad fall, accident or blow",
        Severity.RED_FLAG,
        "Possible fracture, more likely with age, osteoporosis or steroids: consider imaging.",
    ),
    Flag(
        "new_neurological_signs",
        "New weakness, clumsiness or numbness",
        Severity.RED_FLAG,
        "Possible nerve root, spinal cord or brain cause: neurological exam; refer if progressing.",
    ),
    Flag(
        "cauda_equina_signs",
        "New bladder or bowel change, or saddle numbness",
        Severity.RED_FLAG,
        "Possible cauda equina syndrome: emergency referral the same day.",
    ),
    Flag(
        "cancer_history",
        "Cancer, now or in the past",
        Severity.RED_FLAG,
        "Strongest red flag for spinal malignancy: ask type and when; refer if the symptoms fit.",
    ),
    Flag(
        "possible_dvt",
        "Calf swelling, warmth or redness",
        Severity.RED_FLAG,
        "Possible deep vein thrombosis: same-day medical review; do not treat that leg meanwhile.",
    ),
    Flag(
        "chest_pain_breathless",
        "Chest pain or shortness of breath",
        Severity.RED_FLAG,
        "Possible heart or lung cause (including a clot in the lung): medical review first.",
    ),
)

FLAGS = {
    flag.code: flag
    for flag in (
        *_RED_FLAGS,
        Flag("anticoagulants", "Takes blood thinners", Severity.CONTRAINDICATION),
        Flag("bleeding_disorder", "Bleeding disorder", Severity.CONTRAINDICATION),
        Flag("pregnancy", "Pregnant or may be pregnant", Severity.CONTRAINDICATION),
        Flag("needle_phobia", "Fear of needles", Severity.CONTRAINDICATION),
        Flag("fainting", "Faints with needles or blood draws", Severity.PRECAUTION),
        Flag("lymphedema", "Lymphedema", Severity.CONTRAINDICATION),
        Flag("immunocompromised", "Weakened immune system", Severity.PRECAUTION),
        Flag(
            "bloodborne_infection",
            "Hepatitis, HIV or other blood-borne infection",
            Severity.PRECAUTION,
        ),
        Flag("skin_lesion", "Skin infection or lesion where it hurts", Severity.CONTRAINDICATION),
        Flag("metal_allergy", "Allergy to metals (e.g. nickel)", Severity.CONTRAINDICATION),
        Flag("implanted_device", "Pacemaker or implanted electrical device", Severity.PRECAUTION),
        Flag("active_cancer", "Cancer now or in treatment", Severity.PRECAUTION),
        Flag("epilepsy", "Epilepsy or seizures", Severity.PRECAUTION),
        Flag("diabetes_uncontrolled", "Diabetes not well controlled", Severity.PRECAUTION),
        Flag("peripheral_neuropathy", "Peripheral neuropathy", Severity.PRECAUTION),
        Flag("vascular_disease", "Vascular disease or varicose veins", Severity.PRECAUTION),
        Flag("recent_surgery", "Recent surgery", Severity.PRECAUTION),
        Flag("latex_allergy", "Latex allergy", Severity.PRECAUTION),
        Flag("blood_thinner", "Takes a blood thinner", Severity.PRECAUTION),
        Flag("medicine_blood_thinner", "Medicine list names a blood thinner", Severity.PRECAUTION),
    )
}

# A precaution the clinic may grade as a contraindication, and the code it is then stored
# under (INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION). A code of its own rather than another
# severity for the same code: a stored flag keeps the grade it was signed with.
GRADED_BY_CLINIC = {"blood_thinner": "anticoagulants"}

# An optional question the clinic may require (INTAKE_REQUIRE_REFERRAL), and its label and help
# then: some states require a doctor's referral for dry needling.
REQUIRED_BY_CLINIC = {
    "physician": (
        "Referring doctor",
        "Your state requires a doctor\u2019s referral for dry needling.",
    ),
}


@dataclass(frozen=True)
class NamedInText:
    """A flag raised when a free-text answer names a medicine of a list (a data file beside
    this module); the words that matched are stored with the flag."""

    question: str
    drug_list: str
    flag: str


TEXT_SCREENS = (NamedInText("medications", "blood_thinners", "medicine_blood_thinner"),)

SECTIONS = (
    Section("about", "About you", "We use this to contact you and to know who you are."),
    Section("visit", "This visit", "Tell us about the problem that brings you in."),
    Section(
        "general",
        "Your general health",
        "A few questions about how you have felt lately. Most people answer No.",
        quick_no=True,
    ),
    Section(
        "medical",
        "Medical history",
        "Do you have, or have you had, any of these?",
        quick_no=True,
    ),
    Section(
        "medications",
        "Medicines and allergies",
        "Some medicines and allergies matter for dry needling.",
    ),
    Section("needling", "Needles and devices", "A few questions about needles and implants."),
)

_SEX = (
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
    ("no_answer", "Prefer not to say"),
)
_ONSET = (
    ("sudden", "Suddenly"),
    ("gradual", "Gradually"),
    ("injury", "After an injury or fall"),
    ("surgery", "After surgery"),
    ("unknown", "I don't know"),
)
_BODY_AREAS = (
    ("head_neck", "Head or neck"),
    ("shoulder", "Shoulder"),
    ("upper_back", "Upper back"),
    ("lower_back", "Lower back"),
    ("chest_abdomen", "Chest or belly"),
    ("arm_elbow", "Arm or elbow"),
    ("wrist_hand", "Wrist or hand"),
    ("hip", "Hip"),
    ("thigh_knee", "Thigh or knee"),
    ("leg_ankle_foot", "Lower leg, ankle or foot"),
    ("other", "Somewhere else"),
)
_TREATMENTS = (
    ("none", "None yet"),
    ("physical_therapy", "Physical therapy"),
    ("chiropractic", "Chiropractic"),
    ("massage", "Massage"),
    ("injections", "Injections"),
    ("medication", "Medication"),
    ("surgery", "Surgery"),
    ("other", "Other"),
)
_ALLERGIES = (
    ("none", "No allergies"),
    ("latex", "Latex"),
    ("nickel", "Nickel or other metals"),
    ("adhesive", "Tape or adhesive"),
    ("medication", "A medicine"),
    ("other", "Something else"),
)
_TRIMESTER = (
    ("first", "First (weeks 1–13)"),
    ("second", "Second (weeks 14–27)"),
    ("third", "Third (weeks 28–40)"),
    ("unknown", "I don't know"),
)
_EARLIER = (("good", "It went well"), ("mixed", "Mixed"), ("bad", "It went badly"))
_YES = ("yes",)


def _yes_no(qid, label, section, *, flag=None, help="", required=True, show_if=None):
    return Question(
        qid,
        label,
        Kind.YES_NO,
        section,
        required=required,
        flags=(("yes", flag),) if flag else (),
        help=help,
        show_if=show_if,
    )


def _details(qid, label, parent, section, required=True, max_length=500):
    return Question(
        qid,
        label,
        Kind.TEXT,
        section,
        required=required,
        show_if=(parent, _YES),
        max_length=max_length,
    )


QUESTIONS: tuple[Question, ...] = (
    # About you. An adult signs as "first last", which must fit the signer's name (200).
    Question("first_name", "First name", Kind.TEXT, "about", required=True, max_length=99),
    Question("last_name", "Last name", Kind.TEXT, "about", required=True, max_length=99),
    Question("date_of_birth", "Date of birth", Kind.DATE, "about", required=True),
    Question("sex", "Sex", Kind.CHOICE, "about", required=True, choices=_SEX),
    Question("phone", "Phone number", Kind.PHONE, "about", required=True, max_length=40),
    Question(
        "email",
        "Email",
        Kind.EMAIL,
        "about",
        max_length=254,
        help="We only use it to reach you about your care.",
    ),
    Question("address", "Home address", Kind.LONG_TEXT, "about", required=True, max_length=300),
    Question(
        "emergency_contact_name",
        "Emergency contact name",
        Kind.TEXT,
        "about",
        required=True,
        max_length=200,
    ),
    Question(
        "emergency_contact_phone",
        "Emergency contact phone",
        Kind.PHONE,
        "about",
        required=True,
        max_length=40,
    ),
    Question(
        "physician",
        "Referring or primary doctor",
        Kind.TEXT,
        "about",
        max_length=200,
        help="The doctor who sent you here, or your usual doctor.",
    ),
    # This visit
    Question(
        "visit_reason",
        "What brings you in today?",
        Kind.LONG_TEXT,
        "visit",
        required=True,
        max_length=1000,
    ),
    Question(
        "pain_areas",
        "Where does it hurt?",
        Kind.MULTI,
        "visit",
        required=True,
        choices=_BODY_AREAS,
        help="Choose all that apply.",
    ),
    Question(
        "pain_areas_other",
        "Where else does it hurt?",
        Kind.TEXT,
        "visit",
        required=True,
        show_if=("pain_areas", ("other",)),
    ),
    Question(
        "pain_now",
        "Pain right now",
        Kind.SCALE,
        "visit",
        required=True,
        help="0 means no pain, 10 the worst pain you can imagine.",
    ),
    Question("pain_best", "Pain at its best", Kind.SCALE, "visit", required=True),
    Question("pain_worst", "Pain at its worst", Kind.SCALE, "visit", required=True),
    Question(
        "onset_date", "When did it start?", Kind.DATE, "visit", help="Your best guess is fine."
    ),
    Question("onset_how", "How did it start?", Kind.CHOICE, "visit", required=True, choices=_ONSET),
    Question("better_with", "What makes it better?", Kind.LONG_TEXT, "visit", max_length=500),
    Question("worse_with", "What makes it worse?", Kind.LONG_TEXT, "visit", max_length=500),
    Question(
        "treatment_so_far",
        "Treatment so far for this problem",
        Kind.MULTI,
        "visit",
        choices=_TREATMENTS,
        help="Choose all that apply.",
    ),
    # Your general health: the screening for symptoms a doctor should see (red flags).
    _yes_no(
        "feeling_unwell",
        "Do you feel unwell in general, not just where it hurts?",
        "general",
        flag="generally_unwell",
        help="For example very tired, weak all over, or not yourself.",
    ),
    _yes_no(
        "weight_loss",
        "Have you lost weight in the last few months without trying?",
        "general",
        flag="unexplained_weight_loss",
    ),
    _yes_no(
        "fever_sweats",
        "Have you had a fever, chills or night sweats lately?",
        "general",
        flag="fever_night_sweats",
        help="Night sweats: waking up with your sheets or clothes wet.",
    ),
    _yes_no(
        "night_pain",
        "Do you have pain at night that does not get better when you rest or change position?",
        "general",
        flag="night_pain",
    ),
    _yes_no(
        "recent_trauma",
        "In the last few weeks, have you had a bad fall, a car accident or a hard blow?",
        "general",
        flag="significant_trauma",
    ),
    _yes_no(
        "new_weakness",
        "Have you noticed new weakness, clumsiness or numbness in your arms or legs?",
        "general",
        flag="new_neurological_signs",
        help="Something new, not something you have had for years.",
    ),
    _yes_no(
        "bladder_bowel",
        "Any new trouble holding or passing urine or stool, or new numbness between the legs?",
        "general",
        flag="cauda_equina_signs",
        help="Numbness between the legs: around the private parts or the bottom, "
        "where you sit on a bicycle seat.",
    ),
    _yes_no(
        "calf_swelling",
        "Is one of your calves (lower legs) swollen, warm or red?",
        "general",
        flag="possible_dvt",
    ),
    _yes_no(
        "chest_breathing",
        "Do you have chest pain, or get out of breath more easily than usual?",
        "general",
        flag="chest_pain_breathless",
    ),
    # Medical history
    _yes_no("heart_disease", "Heart disease", "medical"),
    _yes_no("high_blood_pressure", "High blood pressure", "medical"),
    _yes_no("diabetes", "Diabetes", "medical"),
    Question(
        "diabetes_controlled",
        "Is your diabetes well controlled?",
        Kind.YES_NO,
        "medical",
        required=True,
        show_if=("diabetes", _YES),
        flags=(("no", "diabetes_uncontrolled"),),
    ),
    _yes_no(
        "peripheral_neuropathy",
        "Numbness or nerve damage in hands or feet (neuropathy)",
        "medical",
        flag="peripheral_neuropathy",
    ),
    Question(
        "cancer",
        "Cancer now, or in treatment for cancer",
        Kind.YES_NO,
        "medical",
        required=True,
        flags=(("yes", "active_cancer"), ("yes", "cancer_history")),
    ),
    _details("cancer_details", "What kind, and what treatment?", "cancer", "medical"),
    # Asked only of those without cancer now: a cancer in the past matters as much to screening.
    Question(
        "cancer_past",
        "Have you had cancer in the past?",
        Kind.YES_NO,
        "medical",
        required=True,
        show_if=("cancer", ("no",)),
        flags=(("yes", "cancer_history"),),
    ),
    _details(
        "cancer_past_details",
        "What kind, and when?",
        "cancer_past",
        "medical",
        required=False,
    ),
    _yes_no("epilepsy", "Epilepsy or seizures", "medical", flag="epilepsy"),
    _yes_no(
        "bleeding_disorder",
        "A bleeding disorder (such as hemophilia)",
        "medical",
        flag="bleeding_disorder",
    ),
    _yes_no(
        "lymphedema", "Lymphedema (swelling from lymph problems)", "medical", flag="lymphedema"
    ),
    _details("lymphedema_where", "Where is the lymphedema?", "lymphedema", "medical"),
    _yes_no(
        "immunocompromised",
        "A weakened immune system",
        "medical",
        flag="immunocompromised",
        help="For example from chemotherapy, steroids or HIV.",
    ),
    _yes_no(
        "bloodborne_infection",
        "Hepatitis, HIV or another infection carried in the blood",
        "medical",
        flag="bloodborne_infection",
    ),
    _yes_no("osteoporosis", "Osteoporosis (thin bones)", "medical"),
    _yes_no(
        "vascular_disease", "Vascular disease or varicose veins", "medical", flag="vascular_disease"
    ),
    _yes_no(
        "skin_lesion",
        "A skin infection, rash or wound where it hurts",
        "medical",
        flag="skin_lesion",
    ),
    _yes_no("recent_surgery", "Surgery in the last 6 months", "medical", flag="recent_surgery"),
    _details(
        "recent_surgery_where",
        "What surgery, where on the body, and when?",
        "recent_surgery",
        "medical",
    ),
    # Medicines and allergies
    Question(
        "medications",
        "Medicines you take",
        Kind.LONG_TEXT,
        "medications",
        max_length=1000,
        help="Include vitamins and supplements. Leave empty if none.",
    ),
    _yes_no(
        "anticoagulants",
        "Do you take a blood thinner?",
        "medications",
        flag="blood_thinner",
        help="For example warfarin, apixaban (Eliquis), "
        "rivaroxaban (Xarelto), clopidogrel (Plavix) or daily aspirin.",
    ),
    _details("anticoagulants_which", "Which blood thinner?", "anticoagulants", "medications"),
    Question(
        "allergies",
        "Allergies",
        Kind.MULTI,
        "medications",
        required=True,
        choices=_ALLERGIES,
        help="Choose all that apply.",
        flags=(("latex", "latex_allergy"), ("nickel", "metal_allergy")),
    ),
    Question(
        "allergies_details",
        "Tell us about your allergies",
        Kind.TEXT,
        "medications",
        required=True,
        max_length=500,
        show_if=("allergies", ("latex", "nickel", "adhesive", "medication", "other")),
    ),
    # Needles and devices
    _yes_no(
        "pregnant", "Are you pregnant, or could you be pregnant?", "needling", flag="pregnancy"
    ),
    Question(
        "pregnancy_trimester",
        "Which trimester?",
        Kind.CHOICE,
        "needling",
        required=True,
        choices=_TRIMESTER,
        show_if=("pregnant", _YES),
    ),
    _yes_no(
        "implanted_device",
        "A pacemaker or another implanted electrical device",
        "needling",
        flag="implanted_device",
    ),
    _yes_no("metal_implants", "Metal implants (plates, screws, joint replacements)", "needling"),
    _details("metal_implants_where", "Where are the metal implants?", "metal_implants", "needling"),
    _yes_no("needle_fear", "Are you afraid of needles?", "needling", flag="needle_phobia"),
    _yes_no(
        "needle_fainting",
        "Have you fainted with needles or blood draws?",
        "needling",
        flag="fainting",
    ),
    _yes_no("prior_needling", "Have you had dry needling or acupuncture before?", "needling"),
    Question(
        "prior_needling_experience",
        "How did it go?",
        Kind.CHOICE,
        "needling",
        required=True,
        choices=_EARLIER,
        show_if=("prior_needling", _YES),
    ),
    Question(
        "anything_else",
        "Anything else your therapist should know?",
        Kind.LONG_TEXT,
        "needling",
        max_length=1000,
    ),
)

BY_ID: dict[str, Question] = {question.id: question for question in QUESTIONS}


def questions_in(section_id: str) -> list[Question]:
    """The questions of one section, in order."""
    return [question for question in QUESTIONS if question.section == section_id]


def _check_flags() -> None:
    """Every declared flag exists and hangs on an answer the question allows."""
    for question in QUESTIONS:
        for value, code in question.flags:
            if code not in FLAGS:
                raise LookupError(f"{question.id}: no flag {code!r} in FLAGS")
            if value not in question.choice_values:
                raise LookupError(f"{question.id}: {value!r} is not an answer it allows")
    free_text = (Kind.TEXT, Kind.LONG_TEXT)
    for screen in TEXT_SCREENS:
        if screen.flag not in FLAGS or BY_ID[screen.question].kind not in free_text:
            raise LookupError(f"{screen.flag}: no such flag, or {screen.question} is not text")
    for question_id in REQUIRED_BY_CLINIC:
        if BY_ID[question_id].required:
            raise LookupError(f"{question_id}: the clinic can only require an optional question")
    for code, stricter in GRADED_BY_CLINIC.items():
        if FLAGS[code].severity != Severity.PRECAUTION or stricter not in FLAGS:
            raise LookupError(f"{code}: only a precaution is graded, into a declared flag")


_check_flags()
