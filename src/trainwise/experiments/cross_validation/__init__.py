"""k-fold cross-validation: :mod:`.fold_plan` (the folds of a ``data:`` config),
:mod:`.runner` (the one fold runner), :mod:`.cross_validate` (``tw.cross_validate``),
:mod:`.from_config` (``trainwise run --folds``) and :mod:`.table` (the per-fold table).
"""
