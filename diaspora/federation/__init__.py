"""Reading other Diaspora networks' public project feeds: a guarded HTTP client
(:mod:`~diaspora.federation.fetch`) and a defensive JSON Feed reader
(:mod:`~diaspora.federation.feed`). Storing what is read is
:mod:`diaspora.services.federation`'s work."""
