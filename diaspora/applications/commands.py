"""``flask applications remind``: remind institutions of applications waiting for an answer."""

import click

from diaspora.applications import bp
from diaspora.cli import with_site_url
from diaspora.jobs import tasks


@bp.cli.command("remind")
@with_site_url
def remind():
    """Remind representatives of applications waiting more than 5 days (safe to rerun)."""
    click.echo(tasks.remind_applications())
