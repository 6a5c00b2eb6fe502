"""Benchmark expert search: rebuild the member index, then queries under each clearance.

Builds an expert index of N generated members in a temporary directory (each member's groups
at one audience level; a quarter applied to institution 7), then times queries (words, a
phrase, a prefix, a NOT, browsing by name) as a coordinator, as a representative of
institution 7 and as a member. The last lines are ``name: value`` pairs.

    python bench/experts.py --members 20000
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

from diaspora.search import Clearance, ExpertIndex  # noqa: E402
from diaspora.search.schemas import (  # noqa: E402
    APPLIED_INSTITUTIONS,
    EXPERT_GROUPS,
    PUBLIC,
    SIGNED_IN,
)

WORDS = [
    "water",
    "engineer",
    "nurse",
    "hydrology",
    "solar",
    "teacher",
    "data",
    "analysis",
    "surgeon",
    "midwife",
    "logistics",
    "finance",
    "law",
    "software",
    "developer",
    "cardiology",
    "training",
    "rural",
    "clinic",
    "energy",
]
SKILLS = ["Hydrology", "Nursing", "Solar photovoltaic design", "Data analysis", "Surgery"]
QUERIES = [
    "water",
    "nurse hydrology",
    '"data analysis"',
    "solar energy engineer",
    "",
    "surgeon -law",
]
QUERIES.append("hydro*")
CLEARANCES = {
    "coordinator": Clearance.coordinator(),
    "representative": Clearance.institution([7]),
    "member": Clearance.member(),
}


def members(n: int, seed: int):
    rnd = random.Random(seed)
    for uid in range(1, n + 1):
        level = (SIGNED_IN, PUBLIC, APPLIED_INSTITUTIONS)[uid % 3]
        yield {
            "user_id": uid,
            "display_name": f"Member {uid}",
            "headline": " ".join(rnd.sample(WORDS, 3)),
            "bio": " ".join(rnd.choice(WORDS) for _ in range(60)),
            "skills": rnd.sample(SKILLS, 2),
            "skills_wanted": [],
            "sectors": [rnd.choice(["health", "water", "energy"])],
            "languages": ["fr"],
            "origin_country": "SN",
            "residence_country": "FR",
            "engagement_modes": ["mentoring"],
            "travel": [("SN", date(2027, 3, 2), date(2027, 3, 22))],
            "applied_institution_ids": [7] if uid % 4 == 0 else [],
            "audience": dict.fromkeys(EXPERT_GROUPS, level),
        }


def run(n: int, seed: int, passes: int) -> dict:
    base = Path(tempfile.mkdtemp(prefix="diaspora-experts-"))
    results: dict = {"members": n}
    try:
        index = ExpertIndex(base / "experts")
        started = time.perf_counter()
        index.rebuild(members(n, seed))
        results["rebuild_members_per_s"] = round(n / (time.perf_counter() - started))
        for name, clearance in CLEARANCES.items():
            for text in QUERIES:
                index.search(clearance, text)
            timings = []
            for _ in range(passes):
                for text in QUERIES:
                    started = time.perf_counter()
                    index.search(clearance, text)
                    timings.append((time.perf_counter() - started) * 1000)
            ordered = sorted(timings)
            results[f"{name}_p50_ms"] = round(statistics.median(timings), 2)
            results[f"{name}_p95_ms"] = round(ordered[int(0.95 * (len(ordered) - 1))], 2)
        index.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    for name, value in run(args.members, args.seed, args.passes).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
