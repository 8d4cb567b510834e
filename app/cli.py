"""The `duban` console script: Flask's CLI bound to Duban's application factory."""
from flask.cli import FlaskGroup

from app import create_app


def main() -> None:
    """Run the `duban` command group (the same commands as `flask --app app`)."""
    cli = FlaskGroup(create_app=create_app, help="督办 Duban 命令行工具。")
    cli.main(prog_name="duban")
