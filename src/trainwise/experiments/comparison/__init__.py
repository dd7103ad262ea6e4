"""``trainwise compare`` / ``tw.compare``: every variant of a config over seeds or folds.

The path of a comparison: :mod:`.variants` (which configs) -> :mod:`.plan` (which trials,
plan.json) -> :mod:`.runner`, on a backend (:mod:`.pool_backend`: worker processes;
:mod:`.ray_backend`: Ray tasks, after :mod:`.shared_storage`'s check on a cluster), each
running :mod:`.trial` (one run each) ->
:mod:`.results` (compare.json, with :mod:`trainwise.experiments.stats`) -> :mod:`.table`
(printed, compare.md, compare.csv). :mod:`.compare` ties them together.
"""
