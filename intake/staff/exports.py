"""CSV export for the EHR (the export itself arrives with the EHR module)."""

from flask import render_template

from intake.staff.blueprint import bp


@bp.get("/exports")
def export_csv():
    """Where staff export new submissions as CSV and download earlier exports."""
    return render_template("staff/exports.html")
