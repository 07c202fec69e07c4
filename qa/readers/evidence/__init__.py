"""The evidence reader of earlier versions: ``features`` (every candidate span of the best sentences,
described), ``reader`` (scored with ``reader_model.json``'s fitted weights, calibrated) and
``sentence_vectors`` (the sentences it reads, encoded once)."""
