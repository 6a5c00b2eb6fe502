"""The work of each scheduled command, shared by the command and the job runner.

Each function runs its service in its own transaction (committed here) and returns the
line the command prints. The functions that send mail expect to run as if answering a
request to ``SITE_URL`` (``with_site_url``), so that links in the mail point at the site.
"""

from flask_babel import force_locale

from diaspora.extensions import db


def close_expired_projects() -> str:
    from diaspora.services import projects

    closed = projects.close_expired()
    db.session.commit()
    return f"Closed {closed} project(s) past their deadline."


def remind_stale_projects() -> str:
    from diaspora.services import projects

    reminded = projects.remind_stale()
    db.session.commit()
    return f"Asked about {reminded} long-open project(s)."


def remind_stale_profiles() -> str:
    from diaspora.services import profiles

    reminded = profiles.remind_stale()
    db.session.commit()
    return f"Reminded {reminded} member(s) of a stale profile."


def remind_applications() -> str:
    from diaspora.services import application_reminders

    count = application_reminders.send_reminders()
    db.session.commit()
    return f"Sent reminders for {count} application(s)."


def remind_deadlines() -> str:
    from diaspora.services.saved_projects import remind_deadlines as remind

    count = remind()
    db.session.commit()
    return f"Sent {count} deadline reminder(s)."


def send_follow_ups() -> str:
    from diaspora.services import follow_ups, retry

    return str(retry.transaction(follow_ups.send_due))


def send_digests() -> str:
    from diaspora.services.notifications import send_digests as send

    count = send()
    db.session.commit()
    return f"Queued {count} digest(s)."


def refresh_report() -> str:
    from diaspora.services import impact, retry

    computed = retry.transaction(impact.refresh)
    return f"Impact figures computed as of {computed:%Y-%m-%d %H:%M} UTC."


def refresh_networks() -> str:
    """One line per followed network (none when no network is followed)."""
    from diaspora.federation import fetch
    from diaspora.services import federation

    lines = []
    for result in federation.refresh_all():
        network = result.network
        if result.problem:
            with force_locale("en"):
                said = fetch.problem_text(result.problem)
            lines.append(
                f"{network.id} {network.feed_url}: failed ({said}), "
                f"{result.removed} removed, {network.failures} failure(s) in a row"
            )
        elif result.unchanged:
            lines.append(f"{network.id} {network.feed_url}: unchanged")
        else:
            lines.append(
                f"{network.id} {network.feed_url}: {result.added} added, {result.updated} "
                f"updated, {result.removed} removed, {network.item_count} in all"
            )
    return "\n".join(lines)


def prune_search_changes(days: int = 30) -> str:
    """Delete change-log rows older than ``days`` that every node seen lately has applied
    (``flask search prune``); runs on a machine without a search index too."""
    from diaspora.services.indexing import indexer

    count = indexer.prune(days)
    db.session.commit()
    return f"Pruned {count} search change(s)."
