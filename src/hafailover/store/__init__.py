"""The replicated cluster-state document (``document``) and its file on disk (``persist``)."""
