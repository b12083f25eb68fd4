"""The staff side: login, today's intakes with flags, signed PDFs, review, accounts, audit log.

Each view module adds its routes to the blueprint in ``blueprint``; importing them here is
what attaches them. Admin pages live on the nested ``admin`` blueprint (``staff.admin.*``).
"""

from intake.staff import (  # noqa: F401  (each module registers its routes)
    accounts,
    audit_log,
    auth,
    consent,
    dashboard,
    exports,
    my_account,
    patient_copy,
    submissions,
    tablets,
    two_step,
)
from intake.staff.blueprint import admin_bp, bp

bp.register_blueprint(admin_bp)

__all__ = ["bp"]
