"""A login between its password and its second step, held in the browser's session.

It names the account, that account's session token (a password reset, deactivation or
"log out everywhere" meanwhile ends it) and when the password was given; after five
minutes (fifteen while setting up an app for the first time) it is gone and the password is
asked again.
"""

import time

from flask import session

from intake.extensions import db
from intake.models import StaffUser

PENDING = "staff_pending_login"
ENROL_SECRET = "staff_enrol_secret"
PENDING_SECONDS = 300
ENROL_SECONDS = 900  # installing an authenticator app takes longer than typing a code


class Step:
    """What a pending login still needs."""

    CODE = "code"
    ENROL = "enrol"


def begin_pending(user: StaffUser, step: str, next_path: str | None) -> None:
    """The password was right: remember the login until its second step is done."""
    session.clear()
    session[PENDING] = {
        "user": user.id,
        "token": user.session_token,
        "at": time.time(),
        "step": step,
        "next": next_path,
    }


def pending() -> dict | None:
    """This browser's pending login, unless there is none or it is too old."""
    state = session.get(PENDING)
    if not isinstance(state, dict):
        return None
    limit = ENROL_SECONDS if state.get("step") == Step.ENROL else PENDING_SECONDS
    if time.time() - state.get("at", 0) > limit:
        return None
    return state


def pending_user(step: str, *, for_update: bool = False) -> StaffUser | None:
    """The account whose password was given in this browser, waiting for `step`."""
    state = pending()
    if state is None or state.get("step") != step:
        return None
    user = db.session.get(StaffUser, state["user"], with_for_update=for_update)
    if user is None or not user.active or user.session_token != state.get("token"):
        return None
    return user
