"""The health-history questionnaire, declared once: sections, questions and the flags answers raise.

Every other part of Intake reads this definition: the kiosk builds its pages and WTForms
fields from it, the chart PDF lists it, the EHR export names its columns after the stable
ids, and the staff dashboard shows the flags it raises. Adding a question is one edit here.
Renaming an id or changing an allowed value breaks the CSV contract: bump VERSION.
"""

from dataclasses import dataclass
from enum import StrEnum

from intake.questionnaire import instruments
from intake.questionnaire.items import Kind, Question, Raises, Section

VERSION = "3"


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

# Dry needling's contraindications and precautions, graded as in practice (the APTA-derived
# list, IJSPT 2014, Table 3; state practice rules). Sources for each: docs/clinical-content.md.
_CONTRAINDICATIONS = (
    Flag(
        "bleeding_disorder",
        "Bleeding disorder",
        Severity.CONTRAINDICATION,
        "Bleeding may be hard to stop: no needling without medical clearance.",
    ),
    Flag(
        "anticoagulants",
        "Takes blood thinners",
        Severity.CONTRAINDICATION,
        "This clinic does not needle a patient on a blood thinner without clearance.",
    ),
    Flag(
        "pregnancy_early",
        "Pregnant: first trimester, or not sure",
        Severity.CONTRAINDICATION,
        "Early or unconfirmed pregnancy: do not needle (miscarriage risk is highest now).",
    ),
    Flag(
        "needle_phobia_severe",
        "Needle phobia: faints or panics, or wants no needles",
        Severity.CONTRAINDICATION,
        "A patient unwilling or phobic is not needled: offer other treatment.",
    ),
    Flag(
        "lymphedema",
        "Lymphedema",
        Severity.CONTRAINDICATION,
        "Infection risk (cellulitis): do not needle a limb or area with lymphedema.",
    ),
    Flag(
        "skin_lesion",
        "Skin infection or lesion where it hurts",
        Severity.CONTRAINDICATION,
        "Never needle through infected, broken or diseased skin.",
    ),
    Flag(
        "metal_allergy",
        "Allergy to metals (e.g. nickel)",
        Severity.CONTRAINDICATION,
        "Needles are stainless steel, which holds nickel: possible reaction.",
    ),
    Flag(
        "recent_surgery_near_pain",
        "Surgery in the last 12 weeks, at or near where it hurts",
        Severity.CONTRAINDICATION,
        "Healing tissue and infection risk: no needling near the site until cleared.",
    ),
)
_PRECAUTIONS = (
    Flag(
        "blood_thinner",
        "Takes a blood thinner",
        Severity.PRECAUTION,
        "More bruising and bleeding: press after each needle; avoid deep vessels.",
    ),
    Flag(
        "medicine_blood_thinner",
        "Medicine list names a blood thinner",
        Severity.PRECAUTION,
        "The patient may not call it a blood thinner: ask, and grade as for one.",
    ),
    Flag(
        "pregnancy_later",
        "Pregnant: second or third trimester",
        Severity.PRECAUTION,
        "Avoid the belly, low back and points linked to labour; position for comfort.",
    ),
    Flag(
        "needle_fear",
        "Very afraid of needles",
        Severity.PRECAUTION,
        "Talk it through before any needling; the patient may decide against it.",
    ),
    Flag(
        "fainting",
        "Faints with needles or blood draws",
        Severity.PRECAUTION,
        "Needle lying down, start with few needles, and watch for a faint.",
    ),
    Flag(
        "fainting_spells",
        "Fainting spells or blackouts",
        Severity.PRECAUTION,
        "Needle lying down; ask what causes them and whether a doctor knows.",
    ),
    Flag(
        "infection_now",
        "Fever, chills or sweats lately",
        Severity.PRECAUTION,
        "Do not needle during a fever or an infection of the body: check first.",
    ),
    Flag(
        "immunocompromised",
        "Weakened immune system",
        Severity.PRECAUTION,
        "Higher infection risk: strict clean technique; ask about current treatment.",
    ),
    Flag(
        "bloodborne_infection",
        "Hepatitis, HIV or other blood-borne infection",
        Severity.PRECAUTION,
        "Needle-stick risk to staff: standard precautions and careful sharps disposal.",
    ),
    Flag(
        "implanted_device",
        "Pacemaker or implanted electrical device",
        Severity.PRECAUTION,
        "No electrical stimulation through needles; keep needles away from the device.",
    ),
    Flag(
        "metal_implant_near_pain",
        "Metal implant near where it hurts",
        Severity.PRECAUTION,
        "Never needle onto an implant (an infected joint replacement is grave): locate it.",
    ),
    Flag(
        "lung_risk",
        "Lung disease or a collapsed lung, with pain over the chest, back, shoulder or neck",
        Severity.PRECAUTION,
        "Needling there can collapse a lung, likelier and worse with lung disease.",
    ),
    Flag(
        "hyperalgesia",
        "CRPS, or skin that hurts at a light touch",
        Severity.PRECAUTION,
        "Needling may flare the pain: go gently, with few needles, or not there.",
    ),
    Flag(
        "active_cancer",
        "Cancer now or in treatment",
        Severity.PRECAUTION,
        "Avoid a tumour's area and limbs at risk of lymphedema; ask the oncology team.",
    ),
    Flag(
        "epilepsy",
        "Epilepsy or seizures",
        Severity.PRECAUTION,
        "Pain or fear can trigger a seizure: ask how well controlled; needle lying down.",
    ),
    Flag(
        "diabetes_uncontrolled",
        "Diabetes not well controlled",
        Severity.PRECAUTION,
        "Slower healing and infection risk; numb skin may hide a problem.",
    ),
    Flag(
        "peripheral_neuropathy",
        "Peripheral neuropathy",
        Severity.PRECAUTION,
        "Reduced feeling: the patient may not notice a problem, above all in the feet.",
    ),
    Flag(
        "vascular_disease",
        "Vascular disease or varicose veins",
        Severity.PRECAUTION,
        "Do not needle into or near affected vessels.",
    ),
    Flag(
        "recent_surgery",
        "Surgery in the last 6 months (not near where it hurts, or over 12 weeks ago)",
        Severity.PRECAUTION,
        "Avoid the surgical site; ask how healing went.",
    ),
    Flag(
        "latex_allergy",
        "Latex allergy",
        Severity.PRECAUTION,
        "Use latex-free gloves and supplies.",
    ),
    Flag(
        "consent_support",
        "Has help with medical decisions",
        Severity.PRECAUTION,
        "Check the patient understands, and who may consent, before any needling.",
    ),
    Flag(
        "interpreter",
        "Wants an interpreter",
        Severity.PRECAUTION,
        "Consent must be understood: use a qualified interpreter for the consent talk.",
    ),
)

FLAGS = {flag.code: flag for flag in (*_RED_FLAGS, *_CONTRAINDICATIONS, *_PRECAUTIONS)}

# Flags earlier versions raised and this one no longer does: a submission signed then keeps
# the flag with the label and severity it was signed with, marked beside the question it
# hung on (RETIRED_ON).
RETIRED_ON = {"pregnancy": "pregnant", "needle_phobia": "needle_fear"}
RETIRED_FLAGS = {
    flag.code: flag
    for flag in (
        # Version 2 and before: any "Yes" to pregnancy, whatever the trimester.
        Flag("pregnancy", "Pregnant or may be pregnant", Severity.CONTRAINDICATION),
        # Version 2 and before: any "Yes" to "Are you afraid of needles?".
        Flag("needle_phobia", "Fear of needles", Severity.CONTRAINDICATION),
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
    *instruments.SECTIONS,  # asked for some painful areas only: outcome scores
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
_SIDES = (("left", "Left"), ("right", "Right"), ("both", "Both sides"))
_SIDES_OR_MIDDLE = (*_SIDES, ("middle", "In the middle"))
# The painful areas where a needle may reach the lung (the chest wall, upper back, shoulder
# and neck), and those of the lower limb (footwear, the LEFS).
_OVER_THE_LUNGS = ("head_neck", "shoulder", "upper_back", "chest_abdomen")
_LOWER_LIMB = ("hip", "thigh_knee", "leg_ankle_foot")
_LANGUAGES = (
    ("english", "English"),
    ("spanish", "Spanish (Español)"),
    ("other", "Another language"),
)
_IMAGING = (
    ("none", "None"),
    ("xray", "X-ray"),
    ("mri", "MRI"),
    ("ct", "CT scan"),
    ("ultrasound", "Ultrasound"),
    ("other", "Other"),
)
_FALLS = (("none", "No falls"), ("one", "One fall"), ("two_or_more", "Two or more falls"))
_PREGNANT = (
    ("no", "No"),
    ("yes", "Yes"),
    ("maybe", "I might be"),
    ("not_applicable", "Does not apply to me"),
)
_NEEDLE_FEAR = (
    ("a_little", "A little"),
    ("very", "Very afraid"),
    ("severe", "So afraid I faint or panic, or I do not want needles"),
)
_WITHIN_12 = ("within_12_weeks",)
_SURGERY_WHEN = (
    ("within_12_weeks", "In the last 12 weeks (3 months)"),
    ("earlier", "3 to 6 months ago"),
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
        flags=(Raises("yes", flag),) if flag else (),
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


def _sides() -> tuple[Question, ...]:
    """Which side hurts, asked for each painful area the patient ticked."""
    middle = ("head_neck", "upper_back", "lower_back", "chest_abdomen")
    return tuple(
        Question(
            f"pain_side_{area}",
            f"{label}: which side?",
            Kind.CHOICE,
            "visit",
            required=True,
            choices=_SIDES_OR_MIDDLE if area in middle else _SIDES,
            show_if=("pain_areas", (area,)),
        )
        for area, label in _BODY_AREAS
        if area != "other"
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
        "emergency_contact_relationship",
        "How is your emergency contact related to you?",
        Kind.TEXT,
        "about",
        required=True,
        max_length=100,
        help="For example wife, son, friend or neighbor.",
    ),
    Question(
        "physician",
        "Referring or primary doctor",
        Kind.TEXT,
        "about",
        max_length=200,
        help="The doctor who sent you here, or your usual doctor.",
    ),
    Question(
        "preferred_language",
        "Which language do you prefer for your care?",
        Kind.CHOICE,
        "about",
        required=True,
        choices=_LANGUAGES,
    ),
    Question(
        "preferred_language_other",
        "Which language?",
        Kind.TEXT,
        "about",
        required=True,
        max_length=100,
        show_if=("preferred_language", ("other",)),
    ),
    _yes_no(
        "interpreter",
        "Would you like an interpreter at your visit?",
        "about",
        flag="interpreter",
        help="We can arrange one in person, by phone or by video.",
        show_if=("preferred_language", ("spanish", "other")),
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
    *_sides(),
    Question(
        "pain_now",
        "Pain right now",
        Kind.SCALE,
        "visit",
        required=True,
        help="0 means no pain, 10 the worst pain you can imagine.",
    ),
    Question("pain_best", "Pain at its best in the last week", Kind.SCALE, "visit", required=True),
    Question(
        "pain_worst", "Pain at its worst in the last week", Kind.SCALE, "visit", required=True
    ),
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
    Question(
        "imaging",
        "Scans or X-rays for this problem",
        Kind.MULTI,
        "visit",
        required=True,
        choices=_IMAGING,
        help="Choose all that apply.",
    ),
    Question(
        "imaging_details",
        "What did they show, if you know?",
        Kind.TEXT,
        "visit",
        max_length=500,
        show_if=("imaging", ("xray", "mri", "ct", "ultrasound", "other")),
    ),
    Question(
        "goals",
        "What would you like to be able to do again?",
        Kind.LONG_TEXT,
        "visit",
        max_length=1000,
        help="For example walk the dog, lift my grandchild, play golf, sleep through the night.",
    ),
    Question(
        "occupation",
        "Your work or main daily activity",
        Kind.TEXT,
        "visit",
        max_length=200,
        help="For example nurse, retired, student, caring for family.",
    ),
    Question(
        "activities",
        "Sports, exercise or hobbies you do",
        Kind.TEXT,
        "visit",
        max_length=300,
    ),
    Question(
        "footwear",
        "What shoes do you wear most days?",
        Kind.TEXT,
        "visit",
        max_length=200,
        help="For example sneakers, work boots, high heels, sandals.",
        show_if=("pain_areas", _LOWER_LIMB),
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
    Question(
        "fever_sweats",
        "Have you had a fever, chills or night sweats lately?",
        Kind.YES_NO,
        "general",
        required=True,
        help="Night sweats: waking up with your sheets or clothes wet.",
        # A red flag to screen, and a reason not to needle until an infection is ruled out.
        flags=(Raises("yes", "fever_night_sweats"), Raises("yes", "infection_now")),
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
    Question(
        "falls_last_year",
        "How many times have you fallen in the last 12 months?",
        Kind.CHOICE,
        "general",
        required=True,
        choices=_FALLS,
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
        flags=(Raises("no", "diabetes_uncontrolled"),),
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
        flags=(Raises("yes", "active_cancer"), Raises("yes", "cancer_history")),
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
        flags=(Raises("yes", "cancer_history"),),
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
    # Flagged only when a painful area lies over the lungs, where a needle could reach one.
    Question(
        "lung_disease",
        "Lung disease (such as COPD or emphysema), or a collapsed lung in the past",
        Kind.YES_NO,
        "medical",
        required=True,
        flags=(Raises("yes", "lung_risk", only_if=("pain_areas", _OVER_THE_LUNGS)),),
    ),
    _yes_no(
        "hyperalgesia",
        "Complex regional pain syndrome (CRPS), or skin so sensitive that a light touch hurts",
        "medical",
        flag="hyperalgesia",
    ),
    _yes_no(
        "fainting_spells",
        "Fainting spells or blackouts",
        "medical",
        flag="fainting_spells",
        help="Any fainting, not only with needles.",
    ),
    # Graded by where and when: near a painful area in the last 12 weeks, no needling there.
    _yes_no("recent_surgery", "Surgery in the last 6 months", "medical"),
    _details(
        "recent_surgery_where",
        "What surgery, and where on the body?",
        "recent_surgery",
        "medical",
    ),
    Question(
        "recent_surgery_when",
        "When was the surgery?",
        Kind.CHOICE,
        "medical",
        required=True,
        choices=_SURGERY_WHEN,
        show_if=("recent_surgery", _YES),
    ),
    Question(
        "recent_surgery_near_pain",
        "Was it at or near a place that hurts now?",
        Kind.YES_NO,
        "medical",
        required=True,
        show_if=("recent_surgery", _YES),
        flags=(
            Raises("yes", "recent_surgery_near_pain", only_if=("recent_surgery_when", _WITHIN_12)),
            Raises("yes", "recent_surgery", only_if=("recent_surgery_when", ("earlier",))),
            Raises("no", "recent_surgery"),
        ),
    ),
    Question(
        "other_conditions",
        "Other illnesses or health problems, now or in the past",
        Kind.LONG_TEXT,
        "medical",
        max_length=1000,
        help="For example asthma, arthritis, stroke, depression. Leave empty if none.",
    ),
    Question(
        "past_surgeries",
        "Other surgeries you have had, and when",
        Kind.LONG_TEXT,
        "medical",
        max_length=1000,
        help="Leave empty if none.",
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
        flags=(Raises("latex", "latex_allergy"), Raises("nickel", "metal_allergy")),
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
    # Asked of anyone who could be pregnant, whatever their age; never of a patient who said
    # male. Graded: the first trimester (or not knowing) is a contraindication.
    Question(
        "pregnant",
        "Are you pregnant, or could you be pregnant?",
        Kind.CHOICE,
        "needling",
        required=True,
        choices=_PREGNANT,
        hide_if=("sex", ("male",)),
        flags=(Raises("maybe", "pregnancy_early"),),
    ),
    Question(
        "pregnancy_trimester",
        "Which trimester?",
        Kind.CHOICE,
        "needling",
        required=True,
        choices=_TRIMESTER,
        show_if=("pregnant", _YES),
        flags=(
            Raises("first", "pregnancy_early"),
            Raises("unknown", "pregnancy_early"),
            Raises("second", "pregnancy_later"),
            Raises("third", "pregnancy_later"),
        ),
    ),
    _yes_no(
        "implanted_device",
        "A pacemaker or another implanted electrical device",
        "needling",
        flag="implanted_device",
    ),
    _yes_no("metal_implants", "Metal implants (plates, screws, joint replacements)", "needling"),
    _details("metal_implants_where", "Where are the metal implants?", "metal_implants", "needling"),
    Question(
        "metal_implants_near_pain",
        "Are any of them near a place that hurts now?",
        Kind.YES_NO,
        "needling",
        required=True,
        show_if=("metal_implants", _YES),
        flags=(Raises("yes", "metal_implant_near_pain"),),
    ),
    # Graded: ordinary nerves raise nothing; only real fear is flagged.
    _yes_no("needle_fear", "Are you afraid of needles?", "needling"),
    Question(
        "needle_fear_level",
        "How afraid are you?",
        Kind.CHOICE,
        "needling",
        required=True,
        choices=_NEEDLE_FEAR,
        show_if=("needle_fear", _YES),
        flags=(Raises("very", "needle_fear"), Raises("severe", "needle_phobia_severe")),
    ),
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
    _yes_no(
        "decision_help",
        "Does someone help you make decisions about your medical care?",
        "needling",
        flag="consent_support",
        help="For example a guardian, or someone with health-care power of attorney.",
    ),
    Question(
        "anything_else",
        "Anything else your therapist should know?",
        Kind.LONG_TEXT,
        "needling",
        max_length=1000,
    ),
)

# The instruments' items last, so that every earlier CSV column keeps its place.
QUESTIONS += instruments.QUESTIONS

BY_ID: dict[str, Question] = {question.id: question for question in QUESTIONS}


def questions_in(section_id: str) -> list[Question]:
    """The questions of one section, in order."""
    return [question for question in QUESTIONS if question.section == section_id]


def _check_flags() -> None:
    """Every declared flag exists and hangs on an answer the question allows; every
    condition names a question that is asked before it."""
    order = {question.id: index for index, question in enumerate(QUESTIONS)}
    pages = [section.id for section in SECTIONS]
    for question in QUESTIONS:
        for raises in question.flags:
            if raises.flag not in FLAGS:
                raise LookupError(f"{question.id}: no flag {raises.flag!r} in FLAGS")
            if raises.value not in question.choice_values:
                raise LookupError(f"{question.id}: {raises.value!r} is not an answer it allows")
            if raises.only_if:
                _check_condition(question, raises.only_if, order)
        if question.show_if:
            _check_condition(question, question.show_if, order)
        if question.hide_if:
            _check_condition(question, question.hide_if, order)
            earlier = BY_ID[question.hide_if[0]].section
            if pages.index(earlier) >= pages.index(question.section):
                raise LookupError(f"{question.id}: hide_if must name a question of an earlier page")
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
    if FLAGS.keys() & RETIRED_FLAGS.keys() or RETIRED_ON.keys() != RETIRED_FLAGS.keys():
        raise LookupError("a retired flag is declared again, or hangs on no question")


def _check_condition(
    question: Question, condition: tuple[str, tuple[str, ...]], order: dict[str, int]
) -> None:
    other, values = condition
    if order.get(other, len(order)) >= order[question.id]:
        raise LookupError(f"{question.id}: its condition names {other!r}, not asked before it")
    if not set(values) <= set(BY_ID[other].choice_values):
        raise LookupError(f"{question.id}: {values} are not answers {other!r} allows")


_check_flags()
