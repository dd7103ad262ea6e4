"""Experiments: many runs of one config, and what is learned from them.

- :mod:`.comparison`: ``trainwise compare`` / ``tw.compare``, variants x seeds (or folds) in
  worker processes, with statistics of the differences.
- :mod:`.cross_validation`: ``tw.cross_validate``, ``trainwise run --folds`` and the fold
  trials of ``compare --folds``, all through one fold runner.
- :mod:`.evaluation`: ``trainwise eval``, a run's checkpoints scored outside the training.
- shared by them: :mod:`.predictions` (outputs -> probabilities -> scores),
  :mod:`.ensemble` (``tw.Ensemble``), :mod:`.stats` (mean, std, intervals, paired
  differences).

The statistics are computed in :mod:`.stats` only; every table of them (printed, compare.md,
report.html) is written by :mod:`trainwise.report.stat_format`.
"""
