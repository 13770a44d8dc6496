"""Meta-solvers over a payoff matrix (rows: policies, maximising; columns: environments).

Pure functions of arrays, usable alone. Import from the modules:

- :mod:`solvers.nash`: ``nash(payoffs, solver="cbc", method="auto", start=None)``, the Nash
  equilibrium by LP (PuLP + CBC, or HiGHS): one LP over the matrix, or restricted games.
- :mod:`solvers.oracle`: restricted-game growth (double oracle) certified on the full matrix.
- :mod:`solvers.regret`: regret matching+, the approximate equilibrium that seeds the oracle.
- :mod:`solvers.interior`: a dense interior point and the exact solve on its supports, for the
  oracle's restricted games too large for a simplex.
- :mod:`solvers.meta`: row-mixture meta-solvers ``nash``, ``uniform``, ``latest`` and the
  registry ``get_meta_solver``.
- :mod:`solvers.metrics`: best-response values and the exploitability ``gap``.
- :mod:`solvers.payoffs`: input checks shared by the above.
"""
