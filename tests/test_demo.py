"""`flask intake seed-demo`: realistic fictional data, never in production."""

import random
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from intake import demo, questionnaire, signatures
from intake.extensions import db
from intake.models import Submission
from testkit.record_checks import answer_problems


def test_seed_demo_adds_valid_submissions(app, runner):
    result = runner.invoke(args=["intake", "seed-demo", "40", "--seed", "7", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "Added 40 fictional submissions" in result.output
    with app.app_context():
        rows = db.session.scalars(select(Submission)).all()
        assert len(rows) == 40
        now = datetime.now(UTC)
        for row in rows:
            assert questionnaire.shown_answers(row.answers) == row.answers
            assert row.flags == questionnaire.flags_for(row.answers)
            assert all(
                q.id in row.answers
                for q in questionnaire.QUESTIONS
                if q.required and questionnaire.is_shown(q, row.answers)
            )
            assert 0 <= (now - row.submitted_at).days <= 3
            assert row.first_name == row.answers["first_name"]
            assert all(
                signatures.initials_match(initials, row.signer_name)
                for initials in row.consent_initials.values()
            )


def test_fictional_answers_are_answers_the_tablet_would_accept():
    # "None yet" (treatment) and "No allergies" never come with another choice.
    today = date(2026, 11, 25)
    for seed in range(200):
        answers = demo.fictional_answers(random.Random(seed), today)
        assert answer_problems(answers, today) == [], seed


def test_seed_demo_twice_adds_more(app, runner):
    assert runner.invoke(args=["intake", "seed-demo", "5"]).exit_code == 0
    assert runner.invoke(args=["intake", "seed-demo", "5"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 10


def test_seed_demo_refuses_production(app, runner):
    app.config["INTAKE_ENV"] = "production"
    result = runner.invoke(args=["intake", "seed-demo", "5"])
    assert result.exit_code == 1
    assert "refuses" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
