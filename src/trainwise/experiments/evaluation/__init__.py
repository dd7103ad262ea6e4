"""``trainwise eval``: :mod:`.run_evaluator` rebuilds a run's model, loss and data to score
saved weights; :mod:`.watcher` scores each new checkpoint of a run, once.
"""
