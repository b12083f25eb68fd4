"""Patient-facing pages: welcome, the health history, review, consent and signing, thanks.

Every page works on the tablet's own draft only, found through its HttpOnly cookie; without
a live draft a page shows nothing and sends the tablet back to the welcome screen.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError

from intake import answers, consents, drafts, errors, questionnaire, signatures, submissions
from intake.clock import clinic_today
from intake.extensions import limiter
from intake.kiosk import forms
from intake.models import Draft
from intake.tablets import read_tablet_label

bp = Blueprint("kiosk", __name__)

SECTION_IDS = tuple(section.id for section in questionnaire.SECTIONS)
SECTIONS = {section.id: section for section in questionnaire.SECTIONS}
STEPS = (*SECTION_IDS, "review", "consent")
# The consent page's fields below the initials, in page order (for the error summary).
CONSENT_FIELD_ORDER = (
    "guardian_name",
    "guardian_relationship",
    "agree",
    "method",
    "signature",
    "typed_name",
    "typed_intent",
)

# What the consent page keeps when the consent itself changes under it.
SIGNER_FIELDS = ("guardian_name", "guardian_relationship", "method")
# A page posted with a stale or missing form token (see page_expired).
EXPIRED = (
    "This page had been open too long to be saved. What you typed is still here: "
    "please check it and tap the button again."
)


@bp.context_processor
def kiosk_settings() -> dict:
    """The steps for the progress bar, and timings the scripts read from data- attributes."""
    config = current_app.config
    return {
        "idle_warning_seconds": config["KIOSK_IDLE_WARNING_SECONDS"],
        "idle_reset_seconds": config["KIOSK_IDLE_RESET_SECONDS"],
        "steps": STEPS,
    }


def _token() -> str | None:
    return drafts.token_from(request)


def _no_draft() -> Response:
    """The page of a draft that is gone: show nothing, go to the start."""
    if request.form.get("action") == "autosave":
        return Response(status=204)  # a background save after the draft was cleared
    flash("For your privacy the form was closed. Tap \u201cStart\u201d to begin.", "info")
    response = redirect(url_for("kiosk.welcome"), code=303)
    drafts.clear_cookie(response)
    return response


def _step_url(step: str, **params) -> str:
    if step in SECTION_IDS:
        return url_for("kiosk.section", section_id=step, **params)
    return url_for(f"kiosk.{step}", **params)


def _neighbour(step: str, offset: int) -> str:
    index = STEPS.index(step) + offset
    return STEPS[max(0, min(index, len(STEPS) - 1))]


@bp.get("/")
def welcome():
    """The tablet's resting screen; it offers to go on if this tablet has a live draft."""
    draft = drafts.load(_token())
    return render_template(
        "kiosk/welcome.html", resume_step=draft.step if draft else None, draft_active=bool(draft)
    )


@bp.post("/start")
@limiter.limit(lambda: current_app.config["KIOSK_START_RATE_LIMIT"])
def start():
    """Start a new intake: any draft this tablet had is discarded first."""
    drafts.discard(_token())
    _, token = drafts.create(device_label=read_tablet_label(request))
    response = redirect(_step_url(STEPS[0]), code=303)
    drafts.set_cookie(response, token)
    return response


@bp.get("/intake/resume")
def resume():
    """Go back to the page this tablet's draft was on."""
    draft = drafts.load(_token())
    if draft is None:
        return _no_draft()
    return redirect(_step_url(draft.step if draft.step in STEPS else STEPS[0]), code=303)


@bp.route("/intake/<section_id>", methods=["GET", "POST"])
def section(section_id: str):
    """One page of the health history. Next checks and saves; Back saves and goes back."""
    if section_id not in SECTIONS:
        abort(404)
    token = _token()
    draft = drafts.load_for_update(token) if request.method == "POST" else drafts.load(token)
    if draft is None:
        return _no_draft()
    form_class = forms.section_form(section_id)
    earlier = draft.data.get("input", {})
    today = clinic_today()

    if request.method == "GET":
        form = form_class(data=earlier)
        if request.args.get("check"):
            form.check(earlier, today)
        return _render_section(section_id, form, earlier, status=200)

    form = form_class()
    action = request.form.get("action", "next")
    typed = form.typed_input()
    if action == "autosave":
        drafts.save(draft, typed=typed)
        return Response(status=204)
    if action == "back":
        drafts.save(draft, typed=typed)
        return redirect(_step_url(_neighbour(section_id, -1)), code=303)

    checked = form.check(earlier, today)
    if checked is None:
        drafts.save(draft, typed=typed, step=section_id)
        return _render_section(section_id, form, {**earlier, **typed}, status=422)
    following = "review" if request.form.get("return_to") == "review" else None
    following = following or _neighbour(section_id, +1)
    drafts.save(draft, typed=typed, step=following)
    return redirect(_step_url(following), code=303)


def _render_section(section_id: str, form, typed: dict, status: int):
    questions = questionnaire.questions_in(section_id)
    return (
        render_template(
            "kiosk/section.html",
            form=form,
            section=SECTIONS[section_id],
            questions=questions,
            shown={q.id for q in questions if questionnaire.is_shown(q, typed)},
            step=section_id,
            back_step=_neighbour(section_id, -1) if section_id != STEPS[0] else None,
            return_to=request.values.get("return_to") or request.args.get("from"),
        ),
        status,
    )


@bp.route("/intake/review", methods=["GET", "POST"])
def review():
    """Everything the patient entered, each page with a way back to change it."""
    token = _token()
    draft = drafts.load_for_update(token) if request.method == "POST" else drafts.load(token)
    if draft is None:
        return _no_draft()
    typed = draft.data.get("input", {})
    try:
        checked = answers.all_answers(typed, today=clinic_today())
    except answers.IncompleteAnswers as incomplete:
        if request.method == "POST":
            drafts.save(draft, step=incomplete.section_id)
        return redirect(_step_url(incomplete.section_id, check=1), code=303)

    if request.method == "POST":
        following = "consent" if request.form.get("action", "next") == "next" else SECTION_IDS[-1]
        drafts.save(draft, step=following)
        return redirect(_step_url(following), code=303)

    parts = questionnaire.history(checked, questionnaire.Audience.PATIENT)
    return render_template("kiosk/review.html", parts=parts, step="review")


@bp.route("/intake/consent", methods=["GET", "POST"])
def consent():
    """Read the consent, initial each part, sign, and "Sign and submit"."""
    token = _token()
    draft = drafts.load(token)
    if draft is None:
        if request.method == "POST" and token:
            # A second tap after the first one finished: the submission exists.
            done = submissions.find_by_draft_key(drafts.hash_token(token))
            if done is not None:
                return _thank_you_redirect()
        return _no_draft()
    today = clinic_today()
    typed = draft.data.get("input", {})
    try:
        checked = answers.all_answers(typed, today=today)
    except answers.IncompleteAnswers as incomplete:
        return redirect(_step_url(incomplete.section_id, check=1), code=303)
    document = consents.current(today=today)
    form_class = forms.consent_form_for(document)

    if request.method == "GET":
        return _render_consent(form_class(data=draft.data.get("signing", {})), document, checked)

    form = form_class()
    form.validate()  # the CSRF token; the signing rules are the service's
    action = request.form.get("action", "submit")
    if action in ("autosave", "back"):
        _keep_signing(token, form, signature_ok=_signature_readable(form))
        if action == "autosave":
            return Response(status=204)
        return redirect(_step_url("review"), code=303)
    try:
        submissions.submit_draft(
            token, form.signing(document), submissions.Evidence.from_request(request)
        )
    except submissions.SigningRefused as refused:
        if submissions.CONSENT_UPDATED in refused.problems:
            return _consent_updated(token, form)
        forms.show_errors(form, refused.problems)
        # Keep a drawing only when it is one: with a typed signature the pad's field is not
        # checked by the service, and whatever it holds must not reach the draft.
        signature_ok = "signature" not in refused.problems and _signature_readable(form)
        _keep_signing(token, form, signature_ok=signature_ok)
        if not signature_ok:
            form.signature.data = ""  # a refused signature is drawn again, not shown again
        return _render_consent(form, document, checked, status=422)
    except submissions.DraftIncomplete as incomplete:
        return redirect(_step_url(incomplete.section_id, check=1), code=303)
    except submissions.DraftGone:
        return _no_draft()
    return _thank_you_redirect()


def _consent_updated(token, form) -> Response:
    """A new version of the consent came into effect while its page was open: show it, to be
    read, initialled and signed afresh. Who signs and how stay; initials, the agreement and
    the signature, given to the old text, do not."""
    draft: Draft | None = drafts.load_for_update(token)
    if draft is not None:
        drafts.save(draft, signing=_signer_only(form.kept_input(False)), step="consent")
    flash(submissions.CONSENT_UPDATED_MESSAGE, "error")
    return redirect(url_for("kiosk.consent"), code=303)


def _signer_only(kept: dict) -> dict:
    """Of the consent page's kept input, who signs and how: what stays valid for any version."""
    return {name: kept[name] for name in SIGNER_FIELDS if name in kept}


def _signature_readable(form) -> bool:
    try:
        signatures.parse_drawn(form.signature.data or "")
    except signatures.SignatureError:
        return False
    return True


def _keep_signing(token, form, signature_ok: bool) -> None:
    """Save what the consent page holds, so an error or a reload keeps it."""
    draft: Draft | None = drafts.load_for_update(token)
    if draft is not None:
        drafts.save(draft, signing=form.kept_input(signature_ok), step="consent")


def _render_consent(form, document, checked: dict, status: int = 200):
    shown_before = form.consent_sha256.data
    if shown_before and shown_before != document.sha256:
        # Typed on a page of another version: initials, agreement and signature start afresh.
        form = type(form)(formdata=None, data=_signer_only(form.kept_input(signature_ok=False)))
    form.consent_sha256.data = document.sha256  # the version this page shows
    minor = submissions.is_minor(checked, clinic_today())
    order = [f"initials_{clause.id}" for clause in document.clauses] + list(CONSENT_FIELD_ORDER)
    problems = [form[name] for name in order if name in form and form[name].errors]
    return (
        render_template(
            "kiosk/consent.html",
            form=form,
            document=document,
            minor=minor,
            patient_name=submissions.patient_name(checked),
            problems=problems,
            step="consent",
        ),
        status,
    )


def _thank_you_redirect() -> Response:
    response = redirect(url_for("kiosk.thanks"), code=303)
    drafts.clear_cookie(response)
    return response


@bp.get("/intake/thanks")
def thanks():
    """Thank you, and nothing else: no answer, no name. Returns to the welcome screen."""
    return render_template(
        "kiosk/thanks.html", return_after=current_app.config["KIOSK_THANK_YOU_SECONDS"]
    )


@bp.errorhandler(CSRFError)
def page_expired(error: CSRFError):
    """A page posted without a valid form token: the browser lost its session cookie (it was
    closed and its tab restored, say) or the service's key changed. Nothing is saved. A page
    of the history or the consent comes back as it was typed, with a new token, so one more
    tap saves it; any other page says to try again."""
    if request.form.get("action") == "autosave":
        return Response(status=400)  # the page's next tap saves, with a new token
    draft = drafts.load(_token())
    section_id = (request.view_args or {}).get("section_id")
    if draft is not None and request.endpoint == "kiosk.section" and section_id in SECTIONS:
        flash(EXPIRED, "error")
        form = forms.section_form(section_id)()
        typed = {**draft.data.get("input", {}), **form.typed_input()}
        return _render_section(section_id, form, typed, status=400)
    if draft is not None and request.endpoint == "kiosk.consent":
        today = clinic_today()
        try:
            checked = answers.all_answers(draft.data.get("input", {}), today=today)
        except answers.IncompleteAnswers:
            checked = None  # no consent page without a whole history: the plain message
        if checked is not None:
            flash(EXPIRED, "error")
            document = consents.current(today=today)
            form = forms.consent_form_for(document)()
            if not _signature_readable(form):
                form.signature.data = ""
            return _render_consent(form, document, checked, status=400)
    message = "Nothing was changed. Please go to the start and try again."
    return errors.render_error_page(400, "That page had expired", message), 400


@bp.get("/intake/stop")
def stop():
    """Ask before clearing everything the patient entered."""
    if drafts.load(_token()) is None:
        return _no_draft()
    return render_template("kiosk/stop.html", step=None, draft_active=True)


@bp.post("/intake/discard")
def discard():
    """Throw the draft away (the patient stopped, or the tablet was left idle)."""
    drafts.discard(_token())
    response = redirect(url_for("kiosk.welcome"), code=303)
    drafts.clear_cookie(response)
    return response
