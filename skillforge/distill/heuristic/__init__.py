"""The offline analyzer: deterministic heuristics over agent traces, tickets and documents.

``analyzer.HeuristicAnalyzer`` is the entry point; ``trace_*`` read agent runs (``signals`` classifies
tool results, ``actions`` and ``abstract`` turn commands into reusable rules), ``ticket_*`` cluster
support tickets, ``doc_*`` read runbooks and procedures. Nothing here calls a model.
"""
