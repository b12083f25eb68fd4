"""Patient-facing pages."""

from flask import Blueprint, render_template

bp = Blueprint("kiosk", __name__)


@bp.get("/")
def welcome():
    """The tablet's resting screen."""
    return render_template("kiosk/welcome.html")
