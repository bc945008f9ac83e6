"""Printers of derivations: LaTeX, Markdown and plain Unicode text."""
