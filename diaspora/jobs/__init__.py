"""The scheduled jobs, in one place: what each runs and when.

``flask jobs run`` (once a minute from a timer, or ``--loop`` as a process) runs the jobs
that are due, in this order; each due slot runs once cluster-wide however many runners
there are (see :mod:`diaspora.jobs.runner`). The same work stays available as individual
commands (``flask projects close-expired``...) for those who schedule it with cron.
"""

from collections.abc import Callable
from dataclasses import dataclass

from diaspora.jobs import tasks
from diaspora.jobs.schedule import Schedule, daily, every


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name, the command it stands for, when, and what it runs.

    ``site_url``: the work sends mail, so it runs as if answering a request to
    ``SITE_URL`` (as the command does through ``with_site_url``).
    """

    name: str
    command: str
    schedule: Schedule
    run: Callable[[], str]
    site_url: bool = False


JOBS: tuple[Job, ...] = (
    Job(
        "projects-close-expired",
        "projects close-expired",
        daily("06:15"),
        tasks.close_expired_projects,
        site_url=True,
    ),
    Job(
        "projects-remind-stale",
        "projects remind-stale",
        daily("06:20"),
        tasks.remind_stale_projects,
        site_url=True,
    ),
    Job(
        "profiles-remind-stale",
        "profiles remind-stale",
        daily("06:22"),
        tasks.remind_stale_profiles,
        site_url=True,
    ),
    Job(
        "applications-remind",
        "applications remind",
        daily("06:25"),
        tasks.remind_applications,
        site_url=True,
    ),
    Job(
        "notify-deadlines",
        "notify deadlines",
        daily("06:30"),
        tasks.remind_deadlines,
        site_url=True,
    ),
    Job(
        "engagements-follow-up",
        "engagements follow-up",
        daily("06:35"),
        tasks.send_follow_ups,
        site_url=True,
    ),
    Job("search-prune", "search prune --days 30", daily("06:40"), tasks.prune_search_changes),
    Job("notify-digests", "notify digests", daily("07:00"), tasks.send_digests, site_url=True),
    Job("report-refresh", "report refresh", every(10), tasks.refresh_report),
    Job("networks-refresh", "networks refresh", every(60, at=40), tasks.refresh_networks),
)

JOBS_BY_NAME = {job.name: job for job in JOBS}
JOB_NAMES = tuple(JOBS_BY_NAME)
