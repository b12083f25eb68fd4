"""Intake: pre-visit health history and dry-needling consent for a physical-therapy clinic."""

from flask import Flask

from intake.config import load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI, error and security hooks."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    register_extensions(app)
    register_languages(app)
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    register_security(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions created in intake.extensions to this app."""
    from intake import accounts, languages, rate_limit_storage  # noqa: F401  (registers its storage)
    from intake.database import tune_engine
    from intake.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(accounts.load_user)
    babel.init_app(app, locale_selector=languages.select_locale)


def register_languages(app: Flask) -> None:
    """Decide which languages the patient pages offer (English, and reviewed translations)."""
    from intake import languages

    languages.register(app)


def register_blueprints(app: Flask) -> None:
    """Mount the patient (kiosk) and staff sides."""
    from intake.kiosk import bp as kiosk_bp
    from intake.staff import bp as staff_bp

    app.register_blueprint(kiosk_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")


def register_cli(app: Flask) -> None:
    """Add the `flask intake …` command group."""
    from intake.cli import intake_cli

    app.cli.add_command(intake_cli)


def register_error_handlers(app: Flask) -> None:
    """Answer errors with plain pages in the site layout."""
    from intake.errors import register

    register(app)


def register_security(app: Flask) -> None:
    """Security headers and no-store caching on every response."""
    from intake import security

    security.register(app)
