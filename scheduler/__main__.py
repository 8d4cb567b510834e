"""`python -m scheduler`: the same as `duban scheduler`."""
from app import create_app
from app.config import Config
from scheduler.process import build_scheduler


def main() -> None:
    """Run the scheduler process until interrupted; its long jobs have no request's statement timeout."""
    app = create_app({"DATABASE_STATEMENT_TIMEOUT_MS": Config.COMMAND_STATEMENT_TIMEOUT_MS})
    build_scheduler(app).start()


if __name__ == "__main__":
    main()
