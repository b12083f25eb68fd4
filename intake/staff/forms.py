"""The staff side's forms. Field labels are the words clinic training material uses."""

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from intake import clock
from intake.accounts import (
    MAX_CREDENTIALS,
    MAX_DISPLAY_NAME,
    MIN_PASSWORD_LENGTH,
    AccountError,
    check_password_strength,
)
from intake.consent_status.decisions import MAX_NOTE_LENGTH, default_care_plan_end
from intake.models import DeclineReason, StaffRole, WithdrawalChannel
from intake.questionnaire import Severity
from intake.tablets import MAX_LABEL_LENGTH

STATUS_CHOICES = [
    SelectChoice("", "Any status"),
    SelectChoice("new", "New"),
    SelectChoice("reviewed", "Reviewed"),
    SelectChoice("exported", "Exported"),
]
FLAG_CHOICES = [
    SelectChoice("", "Any or none"),
    SelectChoice(Severity.RED_FLAG, "Red flags"),
]
_DATE_MESSAGE = "Enter a date, for example 2026-11-25."
ROLE_ORDER = (StaffRole.FRONT_DESK, StaffRole.THERAPIST, StaffRole.ADMIN)


def _stripped(value: str | None) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=1000)]
    )


class DateRangeMixin:
    """From and To dates (both optional), in the clinic's calendar."""

    from_date = DateField("From", validators=[Optional()], invalid_value_message=_DATE_MESSAGE)
    to_date = DateField("To", validators=[Optional()], invalid_value_message=_DATE_MESSAGE)

    def validate_to_date(self, field) -> None:
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError("The To date is before the From date.")


class DashboardFilterForm(DateRangeMixin, FlaskForm):
    """The dashboard's search and filters; read from the query string."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField("Name or date of birth", validators=[Optional(), Length(max=100)])
    status = SelectField("Status", choices=STATUS_CHOICES, validators=[Optional()])
    flags = SelectField("Flags", choices=FLAG_CHOICES, validators=[Optional()])


class AuditFilterForm(DateRangeMixin, FlaskForm):
    """The audit log's filters; read from the query string."""

    class Meta:
        csrf = False

    actor = SelectField("Person", choices=[], validators=[Optional()])
    action = StringField("Action", validators=[Optional(), Length(max=50)])


class NewPasswordMixin:
    """A new password typed twice, strong enough (intake.accounts.check_password_strength).

    The view sets `account_email` when the email is not a field of the form itself.
    """

    account_email: str | None = None

    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a new password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1000,
                message=f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            ),
        ],
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("new_password", "The two passwords do not match."),
        ],
    )

    def validate_new_password(self, field) -> None:
        if field.errors:  # too short already says what to do
            return
        email = getattr(self, "email", None)
        inputs = [self.account_email or "", email.data if email is not None else ""]
        try:
            check_password_strength(field.data or "", [value for value in inputs if value])
        except AccountError as error:
            raise ValidationError(str(error)) from None


class SigningNameMixin:
    """The name and credentials a therapist signs consent addenda with."""

    display_name = StringField(
        "Full name", validators=[Optional(), Length(max=MAX_DISPLAY_NAME)], filters=[_stripped]
    )
    credentials = StringField(
        "Credentials", validators=[Optional(), Length(max=MAX_CREDENTIALS)], filters=[_stripped]
    )


class CreateStaffForm(NewPasswordMixin, SigningNameMixin, FlaskForm):
    """An admin adds a staff account."""

    email = EmailField("Email", validators=[DataRequired("Enter an email."), Length(max=254)])
    role = SelectField(
        "Role",
        choices=[SelectChoice(role.value, role.label) for role in ROLE_ORDER],
        default=StaffRole.FRONT_DESK,
    )

    def validate_role(self, field) -> None:
        # Here, not on the optional fields: an empty optional field skips its own checks.
        if field.data == StaffRole.THERAPIST and not (
            self.credentials.data and self.display_name.data
        ):
            raise ValidationError("A therapist signs with a full name and credentials.")


class SigningNameForm(SigningNameMixin, FlaskForm):
    """An admin sets the name and credentials an account signs with."""


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    """An admin gives an account a new password."""


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    """Staff change their own password."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )


class TabletNameForm(FlaskForm):
    """The name of the tablet in hand."""

    label = StringField(
        "Tablet name",
        validators=[
            DataRequired("Enter a name for this tablet."),
            Length(max=MAX_LABEL_LENGTH, message=f"Use at most {MAX_LABEL_LENGTH} characters."),
        ],
    )


class ExportNewForm(FlaskForm):
    """Export every submission not exported yet."""

    excel = BooleanField("For Excel (byte-order mark, Windows line ends)", default=True)


class ExportRangeForm(DateRangeMixin, FlaskForm):
    """Export a date range; read from the query string, since it changes nothing."""

    class Meta:
        csrf = False

    excel = BooleanField("For Excel (byte-order mark, Windows line ends)", default=True)


class CodeForm(FlaskForm):
    """The 6-digit code from the authenticator app."""

    code = StringField(
        "6-digit code",
        validators=[
            DataRequired("Enter the 6-digit code your app shows now."),
            Length(max=20, message="The code has 6 digits."),
        ],
    )


class RecoveryCodeForm(FlaskForm):
    """One of the printed recovery codes, instead of a code from the app."""

    code = StringField(
        "Recovery code",
        validators=[
            DataRequired("Enter one of your recovery codes."),
            Length(max=40, message="A recovery code looks like abcde-fghjk."),
        ],
    )


class ConsentNoteMixin:
    """The therapist's optional note on a consent decision."""

    note = TextAreaField(
        "Note (optional)",
        validators=[
            Optional(),
            Length(max=MAX_NOTE_LENGTH, message=f"Use at most {MAX_NOTE_LENGTH} characters."),
        ],
    )


class ConfirmConsentForm(ConsentNoteMixin, FlaskForm):
    """The therapist confirms the consent after the conversation with the patient."""

    care_plan_ends_on = DateField(
        "Consent in force until (end of the plan of care)",
        validators=[DataRequired("Enter the date the plan of care ends.")],
        invalid_value_message=_DATE_MESSAGE,
    )


class DeclineConsentForm(ConsentNoteMixin, FlaskForm):
    """The therapist records that dry needling will not go ahead."""

    reason = RadioField(
        "Why",
        choices=[SelectChoice(reason.value, reason.label) for reason in DeclineReason],
        validators=[DataRequired("Choose why dry needling will not go ahead.")],
    )


class WithdrawConsentForm(ConsentNoteMixin, FlaskForm):
    """The therapist records a patient's withdrawal: who told whom, when and how."""

    told_by = StringField(
        "Who withdrew",
        default="The patient",
        validators=[DataRequired("Say who withdrew the consent."), Length(max=200)],
    )
    told_to = StringField(
        "Who they told",
        validators=[DataRequired("Say who was told."), Length(max=200)],
    )
    told_at = DateTimeLocalField(
        "When (clinic time)",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired("Enter when the patient withdrew.")],
    )
    told_how = SelectField(
        "How",
        choices=[SelectChoice(channel.value, channel.label) for channel in WithdrawalChannel],
        default=WithdrawalChannel.IN_PERSON,
    )


def consent_forms(user) -> dict[str, FlaskForm]:
    """Empty consent forms for the submission page, with a therapist's usual defaults."""
    now = clock.local(datetime.now(UTC)).replace(second=0, microsecond=0, tzinfo=None)
    return {
        "confirm_form": ConfirmConsentForm(
            formdata=None,
            care_plan_ends_on=default_care_plan_end(clock.clinic_today()),
        ),
        "decline_form": DeclineConsentForm(formdata=None),
        "withdraw_form": WithdrawConsentForm(
            formdata=None, told_to=user.display_name or user.email, told_at=now
        ),
    }
