"""Benchmark erasure in the expert index: the cost of rewriting the segment that held a
removed member, against a deletion that only marks it deleted (the old bytes stay).

Builds expert indexes of N documents in a temporary directory as ``flask search rebuild``
does (segments of ``ExpertIndex.rebuild_batch`` documents, and for comparison one segment
holding everybody), and a project index (where removals do not rewrite), then times
single-document edits and deletions. The last lines are ``name: value`` pairs
(milliseconds, medians).

    python bench/erasure.py --docs 5000
"""

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_engine import generate_projects  # noqa: E402
from diaspora.search import ExpertIndex, ProjectIndex, engine  # noqa: E402

GROUPS = ("headline", "bio", "skills", "languages", "location", "engagement", "travel")
WORDS = [
    "hydrology",
    "surgeon",
    "teacher",
    "solar",
    "agronomy",
    "finance",
    "logistics",
    "nurse",
    "software",
    "civil",
    "engineer",
    "researcher",
    "mentor",
    "statistics",
    "epidemiology",
    "law",
    "architecture",
    "water",
    "energy",
]


def generate_experts(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    experts = []
    for uid in range(1, n + 1):
        words = rng.sample(WORDS, 8)
        experts.append(
            {
                "user_id": uid,
                "display_name": f"Member{uid} Surname{rng.randrange(10**6)}",
                "headline": " ".join(words[:3]),
                "bio": " ".join(rng.choice(WORDS) for _ in range(80)),
                "skills": words[3:6],
                "skills_wanted": words[6:],
                "sectors": ["health"],
                "languages": ["fr", "en"],
                "origin_country": "SN",
                "residence_country": "FR",
                "engagement_modes": ["mentoring"],
                "travel": [("SN", date(2025, 3, 10), date(2025, 4, 5))],
                "applied_institution_ids": [],
                "audience": {group: rng.choice((1, 2, 3, 4)) for group in GROUPS},
            }
        )
    return experts


def _median_ms(action, rounds: int) -> float:
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(n: int, seed: int, base: Path, rounds: int) -> dict[str, float]:
    experts = generate_experts(n, seed)
    figures: dict[str, float] = {"docs": n}
    rewrite = engine._segments_holding
    cases = (
        ("mark_only", None),  # Whoosh's plain deletion: the bytes stay
        ("rewrite", None),  # the expert index as configured (segments of rebuild_batch)
        ("rewrite_one_segment", n + 1),  # the same with one segment holding every member
    )
    for label, batch in cases:
        engine._segments_holding = (lambda w, u: set()) if label == "mark_only" else rewrite
        try:
            index = ExpertIndex(base / f"experts-{label}", procs=1, rebuild_batch=batch)
            index.rebuild(iter(experts))
            if label == "rewrite":
                figures["expert_edit_ms"] = _median_ms(
                    lambda i, index=index: index.update([dict(experts[i], headline=f"e{i}")]),
                    rounds,
                )
            figures[f"expert_delete_{label}_ms"] = _median_ms(
                lambda i, index=index: index.update(deletes=[n - i]), rounds
            )
            index.close()
        finally:
            engine._segments_holding = rewrite
    projects = list(generate_projects(n, seed))
    index = ProjectIndex(base / "projects", procs=1)
    index.rebuild(iter(projects))
    figures["project_delete_ms"] = _median_ms(
        lambda i: index.update(deletes=[projects[-1 - i]["id"]]), rounds
    )
    index.close()
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="erasure-bench-"))
    try:
        for name, value in run(args.docs, args.seed, base, args.rounds).items():
            print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
