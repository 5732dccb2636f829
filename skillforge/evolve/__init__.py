"""Evolve skills from their failures, gated by evaluation; apply people's corrections."""
