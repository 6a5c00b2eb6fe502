"""Full-text search for projects and experts, on Whoosh.

The app hands plain dicts to :class:`ProjectIndex` and :class:`ExpertIndex` (see
``schemas.project_document`` and ``schemas.expert_document`` for the keys) and gets back ids in
ranked order with safe HTML snippets. The engine (every module of this package) uses neither
Flask, SQLAlchemy nor the app's models; what to index and keeping the indexes in step with the
database live in :mod:`diaspora.services.indexing`. No Whoosh object or exception leaves it: a
broken index raises :class:`SearchUnavailable`. Create one index object per process and keep it.

Each document is analysed in the language it is written in (``written_in``: en, fr, es, pt,
ar), and searches take the ``languages`` the searcher reads: see :mod:`.query` for how a query
is read in several languages and :mod:`diaspora.services.indexing.languages` for the rule.
"""

from .engine import (
    SORTS,
    Clearance,
    ExpertHit,
    ExpertIndex,
    ExpertResults,
    ProjectHit,
    ProjectIndex,
    ProjectResults,
    SearchIndex,
    SearchUnavailable,
)
from .schemas import APPLIED_INSTITUTIONS, COORDINATORS, ONLY_ME, PUBLIC, SIGNED_IN
from .synonyms import SynonymMatch, Thesaurus

__all__ = [
    "APPLIED_INSTITUTIONS",
    "COORDINATORS",
    "ONLY_ME",
    "PUBLIC",
    "SIGNED_IN",
    "SORTS",
    "Clearance",
    "ExpertHit",
    "ExpertIndex",
    "ExpertResults",
    "ProjectHit",
    "ProjectIndex",
    "ProjectResults",
    "SearchIndex",
    "SearchUnavailable",
    "SynonymMatch",
    "Thesaurus",
]
