"""The indexing shortcuts write exactly what stock Whoosh writes."""

import pytest
from whoosh import index as whoosh_index

from diaspora.search.schemas import project_document, project_schema
from diaspora.search.storage import Codec, GroupingPool

from .factories import project


def postings(path) -> tuple:
    ix = whoosh_index.open_dir(str(path))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        result = []
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            while matcher.is_active():
                result.append((fieldname, text, matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
        lengths = [searcher.doc_field_length(d, "content") for d in range(searcher.doc_count_all())]
        stored = [searcher.stored_fields(d) for d in range(searcher.doc_count_all())]
    ix.close()
    return result, lengths, stored


def test_codec_shortcuts_write_identical_postings(tmp_path):
    docs = [
        project_document(
            project(pid, title=f"Solar clinic {pid}", skills=["Nursing", f"Skill {pid % 3}"])
        )
        for pid in range(300)
    ]
    for name, codec in (("stock", None), ("fast", Codec())):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), project_schema())
        writer = ix.writer(codec=codec) if codec else ix.writer()
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        ix.close()
    assert postings(tmp_path / "stock") == postings(tmp_path / "fast")


def _written(path, docs, pool_limit_mb=None, reverse=False) -> tuple:
    path.mkdir()
    ix = whoosh_index.create_in(str(path), project_schema())
    writer = ix.writer(codec=Codec(), limitmb=pool_limit_mb or 128)
    if pool_limit_mb is not None:
        GroupingPool.replacing(writer)
        if reverse:  # the postings of each term reach the pool out of document order
            add = writer.pool.add
            held: list = []
            writer.pool.add = held.append
    for doc in docs:
        writer.add_document(**doc)
    if pool_limit_mb is not None and reverse:
        for item in reversed(held):
            add(item)
    runs = len(writer.pool.runs)
    writer.commit()
    ix.close()
    return postings(path), runs


@pytest.mark.parametrize(
    ("limit_mb", "reverse", "runs"),
    [(128, False, 0), (0.05, False, 5), (128, True, 0)],
    ids=["in-memory", "runs-on-disk", "out-of-order"],
)
def test_grouping_pool_writes_what_whooshs_pool_writes(tmp_path, limit_mb, reverse, runs):
    docs = [
        project_document(
            project(pid, title=f"Solar clinic {pid}", skills=["Nursing", f"Skill {pid % 3}"])
        )
        for pid in range(300)
    ]
    stock, _ = _written(tmp_path / "stock", docs)
    grouped, written_runs = _written(tmp_path / "grouped", docs, limit_mb, reverse)
    assert grouped == stock
    assert len(stock[0]) > 3000
    assert (written_runs >= runs) if runs else written_runs == 0
