"""`python -m scheduler`: the same as `duban scheduler`."""
from app import create_app
from scheduler.process import build_scheduler


def main() -> None:
    """Run the scheduler process until interrupted."""
    build_scheduler(create_app()).start()


if __name__ == "__main__":
    main()
