"""The model analyzer: LLM analyst sub-agents, the consolidation tree of merges, the model's plan of
skills and its fix rounds, with the dry-run estimate. Every call goes through ``skillforge.llm``.

``run`` drives a model-backed distill; ``analysis`` streams traces to ``analysts`` and merges their
lessons (``merge``); ``skill_plan`` groups the rules into skills; ``fix`` repairs what validation refuses.
"""
