"""The crowd: one module per kind of participant, each with a few documented parameters."""
