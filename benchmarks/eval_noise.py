"""How often the evolve gate accepts a candidate at true lift 0 and +20 pp, with --runs 1/3/5.

Simulated in-process (200 seeds, 20 tasks, task success rates uniform in [0.2, 0.8]); see
``skillforge.evolve.noise`` for the model and the options.
"""

from skillforge.evolve.noise import main

if __name__ == "__main__":
    main()
