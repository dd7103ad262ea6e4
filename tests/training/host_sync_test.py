"""Host reads (item, float, int, bool, tolist, numpy, cpu) per training step through tw.fit.

On a GPU each read waits for the device; on CPU it is nearly free, so these budgets are what
keeps a CPU-tested step from serialising a GPU. ``.cpu()`` of a CPU tensor is a no-op here but
still counted: on CUDA it would be a copy and a wait.

Budgets asserted:

- doctor off: 0 reads on every step that is neither a checkpoint step nor a progress-bar
  refresh, with the default recipe's parts (AdamW, one-cycle, label smoothing, BatchNorm,
  dropout), with norm clipping, and with fp16 loss scaling; the epoch's sums are read once.
- doctor on: at most :data:`DOCTOR_EVERY_STEP` reads on an ordinary step and
  :data:`DOCTOR_PROBE_STEP` on a probed one (:data:`DOCTOR_FIRST_STEP` on the very first). These are the doctor's current figures (its
  per-step sentinels read the loss and the targets on the host); see docs/performance.md.
"""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

import trainwise as tw
from trainwise.callbacks.callback import Callback
from trainwise.callbacks.progress import Progress
from trainwise.doctor.probes import ProbeSchedule
from trainwise.training.host_sync import HostSyncCounter

#: Doctor on, a step it does not probe: float(loss) for the loss track, and the live
#: unshuffled_data rule's two tolist() of the batch's targets.
DOCTOR_EVERY_STEP = 3
#: Doctor on, a probed step: the above plus the probe's statistics (gradient norms, update
#: ratios and weight norms each in one tolist(), input and output spread, the trivial-loss
#: reference, the loop watch's optimizer-step count): 11 measured, 1 to spare; the first step
#: adds 4 one-time reads of the first batch (14 measured).
DOCTOR_PROBE_STEP = 12
DOCTOR_FIRST_STEP = 16


pytestmark = pytest.mark.usefixtures("one_thread")


class _Phase:
    """The tag of each read: ("step", s) from the first batch-start listener of step s to the
    last batch-end one, ("after", s) from there to the next step (its batch is fetched then,
    or, after an epoch's last step, the epoch's logs, validation and checkpoint happen)."""

    def __init__(self):
        self.tag = ("start", -1)

    def callbacks(self):
        phase = self

        class First(Callback):
            order = 10**9

            def on_batch_start(self, trainer, step, batch):
                phase.tag = ("step", step)

        class Last(Callback):
            order = -(10**9)

            def on_batch_end(self, trainer, step, loss, output, target):
                phase.tag = ("after", step)

        return [First(), Last()]


def _data(n=384, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 24, generator=g)
    y = (x[:, 0, :12].sum(1) > 0).long() + 2 * (x[:, 0, 12:].sum(1) > 0).long()
    return x, y


def _model():
    return nn.Sequential(
        nn.Conv1d(1, 8, 5, padding=2),
        nn.BatchNorm1d(8),
        nn.GELU(),
        nn.Dropout(0.1),
        nn.Conv1d(8, 8, 5, padding=2),
        nn.GELU(),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        nn.Linear(8, 4),
    )


def _per_step_reads(tmp_path, **kwargs):
    """Fit 3 epochs of 6 steps; return (reads per step, reads between epochs, the counter)."""
    x, y = _data()
    phase = _Phase()
    kwargs.setdefault("doctor", False)
    kwargs.setdefault("verbose", "lines")
    with HostSyncCounter(tag=lambda: phase.tag) as counter:
        result = tw.fit(
            _model(),
            (x[:288], y[:288]),
            (x[288:], y[288:]),
            epochs=3,
            batch_size=64,
            optimizer={"name": "adamw", "lr": 3e-3, "weight_decay": 0.05},
            schedule="onecycle",
            loss={"name": "cross_entropy", "label_smoothing": 0.1},
            callbacks=phase.callbacks(),
            out_dir=tmp_path / "run",
            echo=lambda *_: None,
            **kwargs,
        )
    steps = len(result.lr_steps)
    steps_per_epoch = steps // 3
    last_of_epoch = {e * steps_per_epoch - 1 for e in range(1, 4)}
    per_step = dict.fromkeys(range(steps), 0)
    between = 0
    for (kind, step), n in counter.by_tag().items():
        if kind == "step" or (kind == "after" and step not in last_of_epoch):
            per_step[step if kind == "step" else step + 1] += n
        else:
            between += n
    return per_step, between, counter


def _where(counter, steps):
    return [(m, w) for tag, m, w in counter.reads if tag[1] in steps]


def test_counter_counts_each_conversion_and_restores_torch():
    before = {n: torch.Tensor.__dict__.get(n) for n in ("item", "__float__", "cpu", "__bool__")}
    t = torch.tensor([1.5])
    with HostSyncCounter() as c:
        _ = t.item(), float(t), int(t), bool(t), t.tolist(), t.numpy(), t.cpu()
        _ = t + 1  # arithmetic stays on the device: not a read
    assert [m for _, m, _ in c.reads] == [
        "item", "__float__", "__int__", "__bool__", "tolist", "numpy", "cpu"
    ]  # fmt: skip
    assert all(w.startswith(__file__) for _, _, w in c.reads)
    assert {n: torch.Tensor.__dict__.get(n) for n in before} == before
    assert float(t) == 1.5  # and conversions still work after the block


def test_reads_inside_torch_are_not_counted():
    # Adam reads its CPU step counters with .item() inside torch; they never wait for a GPU
    p = nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([p])
    p.grad = torch.ones(3)
    with HostSyncCounter() as c:
        opt.step()
    assert c.reads == []


def test_no_host_read_on_any_ordinary_step_with_the_doctor_off(tmp_path):
    per_step, between, counter = _per_step_reads(tmp_path)
    assert set(per_step.values()) == {0}, counter.by_place()
    # per epoch: the train and val sums in one read each, the loss finite check, and the
    # checkpoint's copies of its tensors; bounded, whatever the number of steps
    assert 0 < between < 3 * 60, between


@pytest.mark.parametrize(
    "extra",
    [
        {"grad_clip_norm": 1.0},
        {"precision": "fp16", "grad_clip_norm": 1.0},
        {"accumulate_steps": 2},
    ],
    ids=["clip", "fp16-clip", "accumulate"],
)
def test_no_host_read_per_step_with_clipping_fp16_and_accumulation(tmp_path, extra):
    per_step, _, counter = _per_step_reads(tmp_path, **extra)
    assert set(per_step.values()) == {0}, counter.by_place()


def test_checkpoint_steps_are_the_only_steps_that_read(tmp_path):
    per_step, _, counter = _per_step_reads(tmp_path, checkpoint_every_steps=4)
    reading = {s for s, n in per_step.items() if n}
    # a checkpoint is saved at the end of step s when (s + 1) % 4 == 0
    assert reading == {s for s in per_step if (s + 1) % 4 == 0}, _where(counter, reading)


def test_progress_bar_reads_the_loss_once_per_refresh(tmp_path):
    clock = iter(range(10**6))  # every look at the clock is one second later
    bar = Progress("bar", every=1, file=io.StringIO(), refresh=3.0)
    bar._clock = lambda: next(clock)
    per_step, counter = _bar_run(tmp_path, bar)
    reading = [s for s, n in per_step.items() if n]
    assert all(per_step[s] == 1 for s in reading), _where(counter, set(reading))
    # one look at the clock per step (every=1): a read every third step
    assert len(reading) == pytest.approx(len(per_step) / 3, abs=2)


def _bar_run(tmp_path, bar):
    x, y = _data()
    phase = _Phase()
    with HostSyncCounter(tag=lambda: phase.tag) as counter:
        tw.fit(_model(), (x[:288], y[:288]), epochs=3, batch_size=64, doctor=False,
               verbose=False, callbacks=[*phase.callbacks(), bar], echo=lambda *_: None)  # fmt: skip
    per_step = dict.fromkeys(range(15), 0)
    for (kind, step), n in counter.by_tag().items():
        if kind == "step":
            per_step[step] += n
    return per_step, counter


def test_doctor_budget_on_ordinary_and_probe_steps(tmp_path):
    per_step, _, counter = _per_step_reads(tmp_path, doctor={"probe_every": 4})
    schedule = ProbeSchedule(every=4)
    probed = {s for s in per_step if schedule.is_probe(s)}
    ordinary = {s: n for s, n in per_step.items() if s not in probed}
    assert max(ordinary.values()) <= DOCTOR_EVERY_STEP, _where(counter, set(ordinary))
    assert per_step[0] <= DOCTOR_FIRST_STEP, _where(counter, {0})
    assert max(per_step[s] for s in probed - {0}) <= DOCTOR_PROBE_STEP, _where(counter, probed)
