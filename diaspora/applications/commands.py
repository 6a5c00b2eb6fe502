"""``flask applications remind``: remind institutions of applications waiting for an answer."""

import click

from diaspora.applications import bp
from diaspora.cli import with_site_url
from diaspora.extensions import db
from diaspora.services import application_reminders


@bp.cli.command("remind")
@with_site_url
def remind():
    """Remind representatives of applications waiting more than 5 days (safe to rerun)."""
    count = application_reminders.send_reminders()
    db.session.commit()
    click.echo(f"Sent reminders for {count} application(s).")
