"""``flask applications ...``: reminders to institutions and closing projects past deadline."""

import click

from diaspora.applications import bp
from diaspora.extensions import db
from diaspora.services import applications as service


@bp.cli.command("remind")
def remind():
    """Remind representatives of applications waiting more than 5 days (safe to rerun)."""
    count = service.send_reminders()
    db.session.commit()
    click.echo(f"Sent reminders for {count} application(s).")


@bp.cli.command("close-expired")
def close_expired():
    """Close published projects past their deadline and tell the applicants still waiting."""
    count = service.close_expired_projects()
    db.session.commit()
    click.echo(f"Closed {count} project(s) past their deadline.")
