"""Benchmark search quality: known-item queries through the app's engine and plain Whoosh.

Builds a corpus of project documents with known answers from the skills taxonomy that ships
with the app (``diaspora/data/skills.csv``): each project's title is a skill and a role
("Hydrology engineer"), and longer titles that contain it compete with it ("Hydrology
engineer for irrigation machinery"), as in real occupation lists. Three query sets, each
with one right project:

- exact title: the project's title as it is written;
- one typo: the title with one letter of its longest word changed;
- another name: the same occupation with the role said in other words ("Hydrology
  consultant" for "Hydrology adviser"), which no document contains as such;
- skill label: the skill said by one of its other names from
  ``diaspora/data/skill_labels.csv`` ("Obstetrician researcher" for "Obstetrics
  researcher"), for the skills that have one.

The app's engine gets what the app gives it: the skills' labels with each document and the
thesaurus of labels with each query.

Each query runs through :class:`diaspora.search.ProjectIndex` (what the ``/search`` page
calls, with its corrections and fallbacks) and through plain Whoosh (default BM25F, the same
fields, all words required, English stemming) on the same documents. Prints MRR@10,
recall@1, recall@10 and the zero-result rate per query set and engine.

    .venv/bin/python bench/relevance.py [--documents 3000] [--seed 7]
"""

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from whoosh import fields, index, qparser
from whoosh.analysis import StemmingAnalyzer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diaspora.search import ProjectIndex, Thesaurus  # noqa: E402

ROLES = [
    "engineer",
    "technician",
    "adviser",
    "trainer",
    "researcher",
    "coordinator",
    "lecturer",
    "specialist",
]
# Other names of each role: what a searcher may type instead.
OTHER_NAMES = {
    "engineer": "engineering expert",
    "technician": "technical officer",
    "adviser": "consultant",
    "trainer": "instructor",
    "researcher": "scientist",
    "coordinator": "manager",
    "lecturer": "professor",
    "specialist": "expert",
}
TAILS = [
    "for irrigation machinery",
    "in rural district hospitals",
    "for the national statistics office",
    "supporting teacher training colleges",
    "for solar mini-grids",
    "in public procurement",
]
INSTITUTIONS = [
    "University of Rwanda",
    "Makerere University",
    "Ministry of Health",
    "Kenyatta National Hospital",
    "Addis Ababa Institute of Technology",
    "National Water Board",
]
K = 10
LABELS: dict[str, list[str]] = {}


def skills() -> list[tuple[str, str]]:
    with open(ROOT / "diaspora" / "data" / "skills.csv", newline="", encoding="utf-8") as handle:
        return [(row["sector"], row["skill"]) for row in csv.DictReader(handle)]


def skill_labels() -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    path = ROOT / "diaspora" / "data" / "skill_labels.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            labels.setdefault(row["skill"], []).append(row["label"])
    return labels


def corpus(size: int, rng: random.Random) -> tuple[list[dict], list[tuple[int, str]]]:
    """Return the documents and the (id, title) pairs the queries look for."""
    taxonomy = skills()
    documents: list[dict] = []
    targets: list[tuple[int, str]] = []
    pairs = [(sector, skill, role) for sector, skill in taxonomy for role in ROLES]
    rng.shuffle(pairs)
    while len(documents) < size and pairs:
        sector, skill, role = pairs.pop()
        title = f"{skill} {role}"
        other = rng.choice(taxonomy)[1]
        base = {
            "sector": sector,
            "skills": [skill, other],
            "summary": f"A {role} to work with our team on {skill.lower()} and {other.lower()}.",
            "description": (
                f"The {rng.choice(INSTITUTIONS)} looks for a diaspora professional. "
                f"Experience with {other.lower()} is welcome; the mission includes "
                f"{rng.choice(TAILS)} and mentoring of young staff."
            ),
        }
        pid = len(documents) + 1
        documents.append(_document(pid, title, base, rng))
        targets.append((pid, title))
        for tail in rng.sample(TAILS, 2):
            if len(documents) >= size:
                break
            documents.append(_document(len(documents) + 1, f"{title} {tail}", base, rng))
    return documents, targets


def _document(pid: int, title: str, base: dict, rng: random.Random) -> dict:
    return {
        "id": pid,
        "title": title,
        "summary": base["summary"],
        "description": base["description"],
        "skills": base["skills"],
        "skill_labels": [label for skill in base["skills"] for label in LABELS.get(skill, [])],
        "institution": rng.choice(INSTITUTIONS),
        "institution_id": 1,
        "country": "RW",
        "country_name": "Rwanda",
        "region": "Kigali",
        "sector": base["sector"],
        "sector_name": base["sector"].title(),
        "engagement_mode": "mission",
        "work_mode": "remote",
        "compensation": "volunteer",
        "languages": ["en"],
        "published_at": None,
        "deadline": None,
    }


def one_typo(title: str, rng: random.Random) -> str:
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return title
    at = rng.randrange(1, len(word) - 1)
    letters = "abcdefghijklmnopqrstuvwxyz".replace(word[at].lower(), "")
    words[longest] = word[:at] + rng.choice(letters) + word[at + 1 :]
    return " ".join(words)


def other_name(title: str) -> str:
    skill, role = title.rsplit(" ", 1)
    return f"{skill} {OTHER_NAMES[role]}"


def queries(targets, rng: random.Random) -> dict[str, list[tuple[str, int]]]:
    return {
        "exact title": [(title, pid) for pid, title in targets],
        "one typo": [(one_typo(title, rng), pid) for pid, title in targets],
        "another name": [(other_name(title), pid) for pid, title in targets],
        "skill label": [
            (f"{rng.choice(LABELS[skill])} {role}", pid)
            for pid, (skill, role) in ((pid, title.rsplit(" ", 1)) for pid, title in targets)
            if skill in LABELS
        ],
    }


class PlainWhoosh:
    """Whoosh as its documentation sets it up: BM25F over the same fields, all words."""

    FIELDS = ["title", "skills", "summary", "description", "institution"]

    def __init__(self, path: Path, documents: list[dict]):
        analyzer = StemmingAnalyzer()
        schema = fields.Schema(
            uid=fields.ID(stored=True, unique=True),
            **{name: fields.TEXT(analyzer=analyzer) for name in self.FIELDS},
        )
        self.ix = index.create_in(str(path), schema)
        writer = self.ix.writer(limitmb=256)
        for doc in documents:
            writer.add_document(
                uid=str(doc["id"]),
                title=doc["title"],
                skills=" ".join(doc["skills"]),
                summary=doc["summary"],
                description=doc["description"],
                institution=doc["institution"],
            )
        writer.commit()
        self.parser = qparser.MultifieldParser(self.FIELDS, schema)
        self.searcher = self.ix.searcher()

    def search(self, text: str) -> list[int]:
        query = self.parser.parse(text)
        return [int(hit["uid"]) for hit in self.searcher.search(query, limit=K)]

    def close(self) -> None:
        self.searcher.close()


def measure(search, cases: list[tuple[str, int]]) -> dict[str, float]:
    reciprocal = first = top = zero = 0.0
    started = time.perf_counter()
    for text, wanted in cases:
        ids = search(text)[:K]
        if not ids:
            zero += 1
        if wanted in ids:
            rank = ids.index(wanted) + 1
            reciprocal += 1 / rank
            first += rank == 1
            top += 1
    n = len(cases) or 1
    return {
        "MRR@10": reciprocal / n,
        "recall@1": first / n,
        "recall@10": top / n,
        "zero results": zero / n,
        "ms/query": (time.perf_counter() - started) * 1000 / n,
    }


def run(size: int, seed: int) -> dict:
    rng = random.Random(seed)
    LABELS.update(skill_labels())
    thesaurus = Thesaurus(LABELS.items())
    documents, targets = corpus(size, rng)
    cases = queries(targets, rng)
    with tempfile.TemporaryDirectory(prefix="diaspora-relevance-") as base:
        app_index = ProjectIndex(Path(base) / "app", procs=1)
        app_index.rebuild(documents)
        plain_dir = Path(base) / "plain"
        plain_dir.mkdir()
        plain = PlainWhoosh(plain_dir, documents)
        engines = {
            "diaspora": lambda text: app_index.search(text, per_page=K, thesaurus=thesaurus).ids,
            "plain whoosh": plain.search,
        }
        report = {
            "documents": len(documents),
            "queries per set": {name: len(set_cases) for name, set_cases in cases.items()},
            "results": {
                name: {engine: measure(search, cases[name]) for engine, search in engines.items()}
                for name in cases
            },
        }
        plain.close()
        app_index.close()
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report = run(args.documents, args.seed)
    sizes = ", ".join(f"{name} {count}" for name, count in report["queries per set"].items())
    print(f"{report['documents']} documents; queries: {sizes}")
    columns = ["MRR@10", "recall@1", "recall@10", "zero results", "ms/query"]
    print(f"{'query set':<14} {'engine':<13} " + " ".join(f"{c:>12}" for c in columns))
    for name, engines in report["results"].items():
        for engine, figures in engines.items():
            values = " ".join(
                f"{figures[c]:>12.1f}" if c == "ms/query" else f"{figures[c]:>12.3f}"
                for c in columns
            )
            print(f"{name:<14} {engine:<13} {values}")


if __name__ == "__main__":
    main()
