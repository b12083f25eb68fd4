"""Patient-facing pages: welcome, the health history, review, consent and signing, thanks.

Every page works on the tablet's own draft only, found through its HttpOnly cookie; without
a live draft a page shows nothing and sends the tablet back to the welcome screen.
"""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError

from intake import (
    answers,
    consents,
    drafts,
    errors,
    languages,
    patient_copies,
    questionnaire,
    signatures,
    signing,
)
from intake.clock import clinic_today
from intake.extensions import limiter
from intake.kiosk import copy_offer, display, forms
from intake.kiosk.steps import SECTION_IDS, STEPS, kiosk_settings, neighbour, steps_for
from intake.models import ActorType, Draft
from intake.questionnaire import instruments
from intake.tablets import read_tablet_label
from intake.translation import N_, gettext, ngettext

bp = Blueprint("kiosk", __name__)

SECTIONS = {section.id: section for section in questionnaire.SECTIONS}
# The consent page's fields around the initials, in page order (for the error summary):
# who signs comes first, as the initials must match that person's name.
SIGNER_FIELD_ORDER = (
    "signing_for",
    "representative_name",
    "representative_relationship",
    "guardian_name",
    "guardian_relationship",
    "guardian_phone",
)
CONSENT_FIELD_ORDER = (
    "agree",
    "method",
    "signature",
    "typed_name",
    "typed_intent",
)

# What the consent page keeps when the consent itself changes under it.
SIGNER_FIELDS = (*SIGNER_FIELD_ORDER, "method")
# Where the consent page's kept input holds the messages of a refused "Sign and submit", so
# the page the refusal redirects to shows them (no PHI in a cookie, nothing rendered by a POST).
REFUSED = "refused"
# A page posted with a stale or missing form token (see page_expired).
EXPIRED = N_(
    "This page had been open too long to be saved. What you typed is still here: "
    "please check it and tap the button again."
)
# The button of a page that offers "Answer No to the rest" (Section.quick_no).
QUICK_NO = "all_no"
CLOSED = N_("For your privacy the form was closed. Tap \u201cStart\u201d to begin.")
# The welcome screen after the tablet was left idle: the patient's answers were cleared.
CLEARED = N_(
    "The form was left without a touch for a while, so your answers were cleared to keep "
    "them private. Tap \u201cStart\u201d to begin again."
)
# Where the consent page's error summary sends a field's link: the input itself, so focus
# lands where the answer is typed (a radio group's first option, the signature's fallback).
PROBLEM_TARGETS = {
    "signing_for": "signing_for-0",
    "representative_relationship": "representative_relationship-0",
    "guardian_relationship": "guardian_relationship-0",
    "method": "method-0",
    "signature": "signature-canvas",
}


bp.context_processor(kiosk_settings)


def _token() -> str | None:
    return drafts.token_from(request)


def _no_draft() -> Response:
    """The page of a draft that is not open: show nothing. One held at the welcome screen asks
    for the date of birth; any other is closed (deleted) and the tablet goes to the start."""
    token = _token()
    held = drafts.is_held(token)
    if token and not held:
        drafts.discard(token)  # left idle or too old: closed means deleted, not just hidden
    if request.form.get("action") == "autosave":
        return Response(status=204)  # a background save after the draft was cleared
    if held:
        return redirect(url_for("kiosk.resume"), code=303)
    display.forget()
    flash(gettext(CLOSED), "info")
    response = redirect(url_for("kiosk.welcome"), code=303)
    drafts.clear_cookie(response)
    return response


def _required() -> tuple[str, ...]:
    """The optional questions this clinic requires (INTAKE_REQUIRE_REFERRAL)."""
    return current_app.config["REQUIRED_QUESTIONS"]


def _step_url(step: str, **params) -> str:
    if step in SECTION_IDS:
        return url_for("kiosk.section", section_id=step, **params)
    return url_for(f"kiosk.{step}", **params)


@bp.get("/")
def welcome():
    """The tablet's resting screen. A live draft on this tablet is held for its date of birth
    (whoever holds the tablet now may not be its patient) and offered to be continued."""
    if copy_offer.end():  # the next patient never sees the last one's offer
        display.forget()  # nor their language or text size
    token = _token()
    held = drafts.hold_for_resume(token)
    page = render_template("kiosk/welcome.html", resume=held, draft_active=held)
    response = make_response(page)
    if token and not held:
        drafts.clear_cookie(response)
    return response


@bp.post("/display")
def display_choice():
    """A language or text size button of a page without a form of answers: apply it and show
    the same page again (any local page; the welcome screen otherwise)."""
    display.apply_choice(request.form)
    following = request.form.get("next", "")
    local = following.startswith("/") and not urlsplit(following).netloc
    if not local or following.startswith("//") or not following.isprintable() or "\\" in following:
        following = url_for("kiosk.welcome")
    return redirect(following, code=303)


@bp.post("/start")
@limiter.limit(lambda: current_app.config["KIOSK_START_RATE_LIMIT"])
def start():
    """Start a new intake: any draft this tablet had is discarded first."""
    copy_offer.forget()
    drafts.discard(_token())
    _, token = drafts.create(device_label=read_tablet_label(request))
    response = redirect(_step_url(STEPS[0]), code=303)
    drafts.set_cookie(response, token)
    return response


@bp.route("/intake/resume", methods=["GET", "POST"])
def resume():
    """Go back to the page this tablet's draft was on; a held draft first asks for the date of
    birth typed in it, and closes after RESUME_TRIES wrong ones."""
    token = _token()
    if request.method == "POST":
        draft = drafts.load_for_update(token, held_too=True)
    else:
        draft = drafts.load(token, held_too=True)
    if draft is None:
        return _no_draft()
    following = _step_url(draft.step if draft.step in STEPS else STEPS[0])
    if not draft.resume_locked:
        return redirect(following, code=303)
    form = forms.ResumeForm()
    if request.method == "GET":
        return _render_resume(form)
    tries_left = drafts.RESUME_TRIES - draft.resume_failures - 1
    try:
        outcome = drafts.try_resume(draft, form.date_of_birth.data or "")
    except answers.AnswerError as error:
        form.date_of_birth.errors = [str(error)]  # not a date: not a try
        return _render_resume(form, status=422)
    if outcome == drafts.Resume.OPENED:
        return redirect(following, code=303)
    if outcome == drafts.Resume.CLOSED:
        display.forget()
        flash(gettext(CLOSED), "info")
        response = redirect(url_for("kiosk.welcome"), code=303)
        drafts.clear_cookie(response)
        return response
    form.date_of_birth.errors = [
        ngettext(
            "This is not the date of birth entered in this form. You have 1 more try.",
            "This is not the date of birth entered in this form. You have %(num)d more tries.",
            tries_left,
        )
    ]
    return _render_resume(form, status=422)


def _render_resume(form, status: int = 200):
    """The date-of-birth page: no name, no answer, nothing of the draft."""
    page = render_template(
        "kiosk/resume.html", form=form, question=drafts.DATE_OF_BIRTH, draft_active=True
    )
    return page, status


@bp.post("/intake/keep-alive")
def keep_alive():
    """The patient is at work on the page (kiosk.js, after a touch, a key or a scroll): restart
    the draft's idle clock. 410 when the draft is no longer open, so the page reloads."""
    draft = drafts.load_for_update(_token())
    if draft is None:
        return Response(status=410)
    drafts.keep_alive(draft)
    return Response(status=204)


@bp.errorhandler(drafts.DraftTooLarge)
def draft_too_large(error: drafts.DraftTooLarge):
    """A post that would make the draft larger than DRAFT_MAX_BYTES: nothing was saved. An
    autosave is refused quietly; a page of the history comes back as typed, with a message."""
    if request.form.get("action") == "autosave":
        return Response(status=413)
    message = gettext(
        "Your answers are longer than this form can keep, so this page was not saved. "
        "Please shorten your longest answers and tap the button again."
    )
    page = _section_as_posted(drafts.load(_token()), message, status=413)
    title = N_("That page was not saved")
    return page or (errors.render_error_page(413, title, message), 413)


def _section_as_posted(draft: Draft | None, message: str, status: int):
    """A page of the history whose post could not be saved, drawn again as it was typed with
    the message, for one more tap; None when the request was not such a page."""
    section_id = (request.view_args or {}).get("section_id")
    if draft is None or request.endpoint != "kiosk.section" or section_id not in SECTIONS:
        return None
    flash(message, "error")
    form = forms.section_form(section_id)()
    typed = {**draft.data.get("input", {}), **form.typed_input()}
    return _render_section(section_id, form, typed, status=status)


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
    if not questionnaire.section_is_shown(section_id, earlier):
        # No question of this page applies to this patient: it is no step of theirs.
        if request.form.get("action") == "autosave":
            return Response(status=204)
        offset = -1 if request.form.get("action") == "back" else +1
        return redirect(_step_url(neighbour(section_id, offset, earlier)), code=303)

    if request.method == "GET":
        form = form_class(data=earlier)
        if request.args.get("check"):
            form.check(earlier, today, _required())
        return _render_section(section_id, form, earlier, status=200)

    form = form_class()
    action = request.form.get("action", "next")
    typed = form.typed_input()
    if display.apply_choice(request.form):
        # A language or text size button: the page as typed, saved, in the new language.
        drafts.save(draft, typed=typed)
        return redirect(request.full_path.rstrip("?"), code=303)
    if action == "autosave":
        drafts.save(draft, typed=typed)
        return Response(status=204)
    if action == "back":
        drafts.save(draft, typed=typed)
        return redirect(_step_url(neighbour(section_id, -1, {**earlier, **typed})), code=303)
    returning = request.form.get("return_to") == "review"
    if action == QUICK_NO and SECTIONS[section_id].quick_no:
        return _answer_no_to_the_rest(draft, section_id, form, returning)

    checked = form.check(earlier, today, _required())
    if checked is None:
        # The page shows its problems after a redirect: a page drawn by a POST is one that
        # Back or reload would offer to post again, on a screen where no script runs. It is
        # drawn from the draft, so the draft keeps the page as typed, an answer too long for
        # its question included, to be shortened by the patient and not cut unseen.
        as_typed = form.typed_input(limit=answers.MAX_RAW_LENGTH)
        drafts.save(draft, typed=as_typed, step=section_id)
        again = {"check": 1, "return_to": "review"} if returning else {"check": 1}
        return redirect(_step_url(section_id, **again), code=303)
    following = "review" if returning else None
    following = following or neighbour(section_id, +1, {**earlier, **typed})
    drafts.save(draft, typed=typed, step=following)
    return redirect(_step_url(following), code=303)


def _answer_no_to_the_rest(draft: Draft, section_id: str, form, returning: bool) -> Response:
    """ "Answer No to the rest" without a script: the page as typed (nothing cut) with No to
    each question of its list not answered yet, saved; then the same page again, unchecked."""
    typed = form.typed_input(limit=answers.MAX_RAW_LENGTH)
    given = questionnaire.no_to_the_rest(section_id, {**draft.data.get("input", {}), **typed})
    drafts.save(draft, typed={**typed, **given}, step=section_id)
    # Only a count travels in the address; the page says it beside the button.
    again = {"return_to": "review"} if returning else {}
    return redirect(_step_url(section_id, quick_no=len(given), **again) + "#quick-no", code=303)


def quick_no_message(count: int | str) -> str:
    """What the page says after "Answer No to the rest"; kiosk.js reads it with "{n}" for
    the count."""
    if count == 0:
        return gettext("Every question shown already has an answer.")
    if count == "{n}":
        return gettext(
            "Answered No to %(num)s questions. You can still change any answer.", num=count
        )
    return ngettext(
        "Answered No to 1 question. You can still change any answer.",
        "Answered No to %(num)d questions. You can still change any answer.",
        count,
    )


def _render_section(section_id: str, form, typed: dict, status: int):
    required = _required()
    questions = [
        questionnaire.as_asked(question, required)
        for question in questionnaire.questions_in(section_id)
        if questionnaire.asked_on_page(question, typed)
    ]
    return (
        render_template(
            "kiosk/section.html",
            form=form,
            section=SECTIONS[section_id],
            instrument=instruments.BY_SECTION.get(section_id),
            questions=questions,
            shown={q.id for q in questions if questionnaire.is_shown(q, typed)},
            step=section_id,
            steps=steps_for(typed),
            back_step=neighbour(section_id, -1, typed) if section_id != STEPS[0] else None,
            quick_no_message=quick_no_message,
            quick_no_done=_quick_no_done(),
            return_to=request.values.get("return_to") or request.args.get("from"),
            page_form="section-form",
        ),
        status,
    )


def _quick_no_done() -> str:
    """The message of the "Answer No to the rest" just done without a script, if any."""
    count = request.args.get("quick_no", "")
    return quick_no_message(int(count)) if count.isdecimal() and len(count) < 4 else ""


@bp.route("/intake/review", methods=["GET", "POST"])
def review():
    """Everything the patient entered, each page with a way back to change it."""
    token = _token()
    draft = drafts.load_for_update(token) if request.method == "POST" else drafts.load(token)
    if draft is None:
        return _no_draft()
    typed = draft.data.get("input", {})
    try:
        checked = answers.all_answers(typed, today=clinic_today(), required=_required())
    except answers.IncompleteAnswers as incomplete:
        if request.method == "POST":
            drafts.save(draft, step=incomplete.section_id)
        return redirect(_step_url(incomplete.section_id, check=1), code=303)

    if request.method == "POST":
        going_on = request.form.get("action", "next") == "next"
        following = "consent" if going_on else neighbour("review", -1, typed)
        drafts.save(draft, step=following)
        return redirect(_step_url(following), code=303)

    parts = questionnaire.history(checked, questionnaire.Audience.PATIENT)
    return render_template("kiosk/review.html", parts=parts, step="review", steps=steps_for(typed))


@bp.route("/intake/consent", methods=["GET", "POST"])
def consent():
    """Read the consent, initial each part, sign, and "Sign and submit"."""
    token = _token()
    draft = drafts.load(token)
    if draft is None:
        if request.method == "POST" and token:
            # A second tap after the first one finished: the submission exists.
            done = signing.find_by_draft_key(drafts.hash_token(token))
            if done is not None:
                return _thank_you_redirect(done)
        return _no_draft()
    today = clinic_today()
    typed = draft.data.get("input", {})
    try:
        checked = answers.all_answers(typed, today=today, required=_required())
    except answers.IncompleteAnswers as incomplete:
        return redirect(_step_url(incomplete.section_id, check=1), code=303)
    document = signing.consent_shown(checked, today, languages.current())
    form_class = forms.consent_form_for(document)

    if request.method == "GET":
        kept = draft.data.get("signing", {})
        form = form_class(data=kept)
        forms.show_errors(form, kept.get(REFUSED) or {})
        return _render_consent(form, document, checked)

    form = form_class()
    form.validate()  # the CSRF token; the signing rules are the service's
    action = request.form.get("action", "submit")
    if display.apply_choice(request.form):
        # Everything typed stays; the same clauses come back in the new language (or size),
        # to be signed as shown then.
        _keep_signing(token, form, signature_ok=_signature_readable(form), shown_anew=True)
        return redirect(url_for("kiosk.consent"), code=303)
    if action in ("autosave", "back"):
        _keep_signing(token, form, signature_ok=_signature_readable(form))
        if action == "autosave":
            return Response(status=204)
        return redirect(_step_url("review"), code=303)
    try:
        submission = signing.submit_draft(
            token,
            form.signing(document),
            signing.Evidence.from_request(request),
            language=languages.current(),
        )
    except signing.SigningRefused as refused:
        if signing.CONSENT_UPDATED in refused.problems:
            return _consent_updated(token, form)
        # Keep a drawing only when it is one: with a typed signature the pad's field is not
        # checked by the service, and whatever it holds must not reach the draft. A refused
        # signature is drawn again, not shown again; everything typed stays.
        signature_ok = "signature" not in refused.problems and _signature_readable(form)
        _keep_signing(token, form, signature_ok=signature_ok, refused=refused.problems)
        return redirect(url_for("kiosk.consent"), code=303)
    except signing.DraftIncomplete as incomplete:
        return redirect(_step_url(incomplete.section_id, check=1), code=303)
    except signing.DraftGone:
        return _no_draft()
    return _thank_you_redirect(submission)


def _consent_updated(token, form) -> Response:
    """A new version of the consent came into effect while its page was open: show it, to be
    read, initialled and signed afresh. Who signs and how stay; initials, the agreement and
    the signature, given to the old text, do not."""
    draft: Draft | None = drafts.load_for_update(token)
    if draft is not None:
        drafts.save(draft, signing=_signer_only(form.kept_input(False)), step="consent")
    flash(gettext(signing.CONSENT_UPDATED_MESSAGE), "error")
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


def _keep_signing(
    token, form, signature_ok: bool, refused: dict | None = None, shown_anew: bool = False
) -> None:
    """Save what the consent page holds, so an error or a reload keeps it; with the messages
    of a refusal, until the page is next saved. `shown_anew`: the page is drawn again in
    another language, so the version it showed is not compared with the one it will show."""
    draft: Draft | None = drafts.load_for_update(token)
    if draft is not None:
        kept = form.kept_input(signature_ok)
        if shown_anew:
            kept.pop("consent_sha256", None)
        if refused:
            kept[REFUSED] = refused
        drafts.save(draft, signing=kept, step="consent")


def _render_consent(form, document, checked: dict, status: int = 200):
    shown_before = form.consent_sha256.data
    if shown_before and shown_before != document.sha256:
        # Typed on a page of another version, or before a changed answer changed its notes:
        # initials, agreement and signature start afresh, and the patient is told why.
        form = type(form)(formdata=None, data=_signer_only(form.kept_input(signature_ok=False)))
        flash(gettext(signing.CONSENT_UPDATED_MESSAGE), "error")
    form.consent_sha256.data = document.sha256  # the version this page shows
    minor = signing.is_minor(checked, clinic_today())
    initials = [f"initials_{clause.id}" for clause in document.clauses]
    order = [*SIGNER_FIELD_ORDER, *initials, *CONSENT_FIELD_ORDER]
    problems = [form[name] for name in order if name in form and form[name].errors]
    return (
        render_template(
            "kiosk/consent.html",
            form=form,
            document=document,
            minor=minor,
            patient_name=signing.patient_name(checked),
            problems=problems,
            problem_targets=PROBLEM_TARGETS,
            risk_notes_heading=consents.RISK_NOTES_HEADING,
            page_form="consent-form",
            step="consent",
            steps=steps_for(checked),
        ),
        status,
    )


def _thank_you_redirect(submission) -> Response:
    # The thank-you page is shown in the patient's language; it ends the choice (see thanks).
    copy_offer.remember(submission)
    response = redirect(url_for("kiosk.thanks"), code=303)
    drafts.clear_cookie(response)
    return response


@bp.get("/intake/thanks")
def thanks():
    """Thank you, and nothing else: no answer, no name; "Email me a copy" when the patient
    gave an address (shown masked). Returns to the welcome screen, which the next patient sees
    in English at the usual size."""
    offer = copy_offer.current()
    page = render_template(
        "kiosk/thanks.html",
        return_after=current_app.config["KIOSK_THANK_YOU_SECONDS"],
        offer=offer,
    )
    if offer is None:
        display.forget()  # with an offer open, its answer (or the welcome screen) ends the choice
    return page


COPY_MESSAGES = {
    patient_copies.Emailed.SENT: (N_("Your copy is on its way by email."), "success"),
    patient_copies.Emailed.ALREADY: (N_("Your copy was already sent."), "info"),
    patient_copies.Emailed.FAILED: (
        N_(
            "We could not send the email just now. Your forms are saved and nothing is lost: "
            "the front desk can print your copy or email it later."
        ),
        "info",
    ),
    patient_copies.Emailed.NOT_OFFERED: (
        N_("This screen can no longer send a copy. The front desk can print one for you."),
        "info",
    ),
}


@bp.post("/intake/thanks/email-copy")
def email_copy():
    """Email the patient their copy of the consent, once, when they ask on the thank-you page."""
    public_id = copy_offer.forget()
    outcome = patient_copies.Emailed.NOT_OFFERED
    if public_id is not None:
        outcome = patient_copies.email_copy(public_id, once_from=ActorType.KIOSK)
    message, category = COPY_MESSAGES[outcome]
    flash(gettext(message), category)
    return redirect(url_for("kiosk.thanks"), code=303)


@bp.errorhandler(CSRFError)
def page_expired(error: CSRFError):
    """A page posted without a valid form token: the browser lost its session cookie (it was
    closed and its tab restored, say) or the service's key changed. Nothing is saved. A page
    of the history or the consent comes back as it was typed, with a new token, so one more
    tap saves it; any other page says to try again."""
    if request.form.get("action") == "autosave":
        return Response(status=400)  # the page's next tap saves, with a new token
    draft = drafts.load(_token())
    if page := _section_as_posted(draft, gettext(EXPIRED), status=400):
        return page
    if draft is not None and request.endpoint == "kiosk.consent":
        today = clinic_today()
        try:
            checked = answers.all_answers(
                draft.data.get("input", {}), today=today, required=_required()
            )
        except answers.IncompleteAnswers:
            checked = None  # no consent page without a whole history: the plain message
        if checked is not None:
            flash(gettext(EXPIRED), "error")
            document = signing.consent_shown(checked, today, languages.current())
            form = forms.consent_form_for(document)()
            if not _signature_readable(form):
                form.signature.data = ""
            return _render_consent(form, document, checked, status=400)
    message = N_("Nothing was changed. Please go to the start and try again.")
    return errors.render_error_page(400, N_("That page had expired"), message), 400


@bp.get("/intake/stop")
def stop():
    """Ask before clearing everything the patient entered."""
    if drafts.load(_token()) is None:
        return _no_draft()
    return render_template("kiosk/stop.html", step=None, draft_active=True)


@bp.post("/intake/discard")
def discard():
    """Throw the draft away (the patient stopped, or the tablet was left idle); the welcome
    screen says the answers were cleared when the tablet was left idle."""
    drafts.discard(_token())
    display.forget()
    if request.form.get("reason") == "idle":
        flash(gettext(CLEARED), "info")
    response = redirect(url_for("kiosk.welcome"), code=303)
    drafts.clear_cookie(response)
    return response
