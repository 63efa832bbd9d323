"""Answering questions from the index: retrieval, evidence, citations, `ask()` and the CLI."""
