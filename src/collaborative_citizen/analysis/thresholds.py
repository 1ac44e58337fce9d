"""The bases below which a published cell is flagged or suppressed, on their own: the tables step applies them
(publication_rules.py), and the report states them, in an HTML step that otherwise needs no statistics."""

LOW_BASE = 100
SUPPRESS_BASE = 50
