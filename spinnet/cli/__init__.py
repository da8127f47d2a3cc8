"""Command line: one module per sub-command; no physics here."""
