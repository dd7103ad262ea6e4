"""The names of the files and folders in a run directory: one table for writers and readers.

A run directory is what ``trainwise run`` (or ``tw.fit(..., out_dir=...)``) leaves behind; a
cross-validation or comparison directory holds one run directory per fold or trial plus its
own files. Writers and readers (the report, the eval watcher, resume, ``compare``) take the
names from here, so a renamed file cannot leave a reader looking for the old name.

=====================  ================================  ==========================================
name                   written by                        holds
=====================  ================================  ==========================================
config.yaml            trainwise run                     the resolved config (re-run, drift check)
error.txt              trainwise run (refused)           why the run was refused (nothing trained)
metrics.jsonl          tw.fit (MetricsLog)               one JSON line per epoch
model.safetensors      tw.fit                            the final weights (safetensors)
lr_steps.json          tw.fit                            the LR of every optimizer step
findings.json          tw.fit (doctor on)                the doctor's findings
probes.jsonl           tw.fit (doctor on)                one JSON line per probed step
summary.json           trainwise run                     best / final / test metrics, timings
report.html            trainwise report, run, compare    the HTML report
checkpoints/           tw.fit (Checkpointer)             resumable checkpoints, one folder each
best/                  ModelCheckpoint                   best-epoch weight files
tensorboard/           TensorBoard callback              TensorBoard event files
eval/                  trainwise eval (EvalWatcher)      its metrics.jsonl and best weights
lr_find.json           trainwise lr-find                 the LR sweep and its suggestions
lr_find.png            trainwise lr-find                 the LR finder's figure
fold.json              cross-validation, compare --folds  which samples a fold trains on
cv.json                cross-validation                  per-fold and mean metrics
oof.npz                cross-validation                  out-of-fold predictions
plan.json              trainwise compare                 the trials (checked on resume)
compare.json           trainwise compare                 results per variant and trial
compare.md             trainwise compare                 the results table in Markdown
compare.csv            trainwise compare                 the results table as CSV
log.txt                trainwise compare (a trial)       the trial's printed output
=====================  ================================  ==========================================

Example::

    from trainwise import run_files
    metrics_path = run_dir / run_files.METRICS
"""

from __future__ import annotations

CONFIG = "config.yaml"
ERROR = "error.txt"
METRICS = "metrics.jsonl"
WEIGHTS = "model.safetensors"
LR_STEPS = "lr_steps.json"
FINDINGS = "findings.json"
PROBES = "probes.jsonl"
SUMMARY = "summary.json"
REPORT = "report.html"
CHECKPOINTS = "checkpoints"
BEST_DIR = "best"
TENSORBOARD_DIR = "tensorboard"
EVAL_DIR = "eval"
LR_FIND = "lr_find.json"
LR_FIND_PLOT = "lr_find.png"
FOLD = "fold.json"
CV = "cv.json"
OOF = "oof.npz"
PLAN = "plan.json"
COMPARE = "compare.json"
COMPARE_MD = "compare.md"
COMPARE_CSV = "compare.csv"
TRIAL_LOG = "log.txt"

#: Every name above, in the order of the table (what a test or a cleaner iterates over).
ALL = (
    CONFIG,
    ERROR,
    METRICS,
    WEIGHTS,
    LR_STEPS,
    FINDINGS,
    PROBES,
    SUMMARY,
    REPORT,
    CHECKPOINTS,
    BEST_DIR,
    TENSORBOARD_DIR,
    EVAL_DIR,
    LR_FIND,
    LR_FIND_PLOT,
    FOLD,
    CV,
    OOF,
    PLAN,
    COMPARE,
    COMPARE_MD,
    COMPARE_CSV,
    TRIAL_LOG,
)
