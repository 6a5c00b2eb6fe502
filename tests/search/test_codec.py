"""The indexing shortcuts write exactly what stock Whoosh writes."""

from whoosh import index as whoosh_index

from diaspora.search.schemas import project_document, project_schema
from diaspora.search.storage import Codec

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
