"""The app's side of search: what is indexed, and keeping the indexes in step with the database.

``documents`` says which rows belong in each index and builds the engine's dicts from them;
``changelog`` records, in the same transaction, which documents a change touches (session
hooks); ``indexer`` names the documents each model's changes touch, applies the recorded
changes after commit, rebuilds, prunes and reports. The engine itself,
:mod:`diaspora.search`, knows nothing of the database.
"""
