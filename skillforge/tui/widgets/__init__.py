"""Widgets of the skill screen: files, provenance, history, diff."""
