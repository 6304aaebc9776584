"""Leaves every layer shares: the records the store keeps and the rules that read them.

``decision`` (the decision record and the rule that turns a log into codings), ``codebook`` (the codebook
model and its structure) and ``codebook_yaml`` (reading, validating and parsing codebook YAML). They import
only other leaves (``errors``, ``clock``), so ``store/`` can build and read them without importing a
feature; ``review.decisions``, ``codebook.model`` and ``codebook.load`` re-export them under their old names.
"""
