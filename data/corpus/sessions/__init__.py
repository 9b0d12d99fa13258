"""The team corpus's coded sessions (installed as the ``mi_coder.corpus`` package data): the client utterances of
batches a-k train the client models when a researcher's tables code no client talk (``train.fit.with_client_corpus``)."""
