"""Host reads (item, float, int, bool, tolist, numpy, cpu) per training step through tw.fit.

On a GPU each read waits for the device; on CPU it is nearly free, so these budgets are what
keeps a CPU-tested step from serialising a GPU. ``.cpu()`` of a CPU tensor is a no-op here but
still counted: on CUDA it would be a copy and a wait.

Budgets asserted:

- doctor off: 0 reads on every step that is neither a checkpoint step nor a progress-bar
  refresh, with the default recipe's parts (AdamW, one-cycle, label smoothing, BatchNorm,
  dropout), with norm clipping, and with fp16 loss scaling; the epoch's sums are read once.
- doctor on: 0 reads on an ordinary step (the doctor records it; its loss and the targets its
  rules want are read in one transfer every ``read_every`` steps, at a probe or at the epoch's
  end), :data:`DOCTOR_READ_STEP` on a step that fills the read window, at most
  :data:`DOCTOR_PROBE_STEP` on a probed one (:data:`DOCTOR_FIRST_STEP` on the very first); see
  docs/performance.md.
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

#: Doctor on, an ordinary step that fills the read window (``read_every``): the one batched
#: tolist() of the window's losses and wanted targets (before the lazy read: 3 on every step,
#: float(loss) and the unshuffled_data rule's two tolist()).
DOCTOR_READ_STEP = 1
#: Doctor on, a probed step: the pending steps' batched read, the probed step's own loss (read
#: before the update, to keep the weights of a non-finite step) and targets, and the probe's
#: statistics (gradient norms, update ratios and weight norms each in one tolist(), input and
#: output spread, the trivial-loss reference, the loop watch's gradient norms): 10 or 11
#: measured (11 before the lazy read); the first step adds 3 one-time reads (13 measured, 14).
DOCTOR_PROBE_STEP = 12
DOCTOR_FIRST_STEP = 14
#: Reads of the optimizer's own step counters (``float(state["step"])``), which live on the
#: CPU (unless ``capturable``/``fused``) and never wait for a GPU, like torch's own reads of
#: them that the counter leaves out; counted apart: at most one per parameter on a probe.
CPU_COUNTER_READS = (("__float__", "live/adam_eps.py"),)


def _device_reads(counter, per_step):
    """``per_step`` less the reads of CPU step counters (:data:`CPU_COUNTER_READS`)."""
    out = dict(per_step)
    for (kind, step), method, where in counter.reads:
        if kind == "step" and any(m == method and w in where for m, w in CPU_COUNTER_READS):
            out[step] -= 1
    return out


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


def _per_step_reads(tmp_path, n=384, **kwargs):
    """Fit 3 epochs on ``n`` samples, 3/4 of them for training in batches of 64 (5 steps an
    epoch at the default ``n``); return (reads per step, reads between epochs, the counter)."""
    x, y = _data(n)
    cut = n * 3 // 4
    phase = _Phase()
    kwargs.setdefault("doctor", False)
    kwargs.setdefault("verbose", "lines")
    with HostSyncCounter(tag=lambda: phase.tag) as counter:
        result = tw.fit(
            _model(),
            (x[:cut], y[:cut]),
            (x[cut:], y[cut:]),
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
    per_step = _device_reads(counter, per_step)
    schedule = ProbeSchedule(every=4)
    probed = {s for s in per_step if schedule.is_probe(s)}
    ordinary = {s: n for s, n in per_step.items() if s not in probed}
    assert len(ordinary) == 3 and set(ordinary.values()) == {0}, _where(counter, set(ordinary))
    assert per_step[0] <= DOCTOR_FIRST_STEP, _where(counter, {0})
    assert max(per_step[s] for s in probed - {0}) <= DOCTOR_PROBE_STEP, _where(counter, probed)


def test_doctor_reads_once_per_window_on_ordinary_steps(tmp_path):
    # 54 steps, probes at 0-8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48; read_every=3: a run of
    # ordinary steps reads on its third (33-35, 41-43 ...), the others read nothing
    doctor = {"probe_every": 16, "read_every": 3}
    per_step, _, counter = _per_step_reads(tmp_path, n=1536, doctor=doctor)
    schedule = ProbeSchedule(every=16)
    ordinary = {s: n for s, n in per_step.items() if not schedule.is_probe(s)}
    reading = {s for s, n in ordinary.items() if n}
    assert set(ordinary.values()) <= {0, DOCTOR_READ_STEP}, _where(counter, reading)
    assert {35, 43} <= reading and not {33, 34, 41, 42} & reading, sorted(reading)
    inside = [(m, w) for (kind, t), m, w in counter.reads if kind == "step" and t in reading]
    assert all(m == "tolist" and "step_reader.py" in w for m, w in inside), inside


def test_doctor_on_leaves_the_weights_bit_for_bit(tmp_path):
    x, y = _data()
    weights = []
    for doctor in (False, {"probe_every": 4}, {"probe_every": 4, "read_every": 1}):
        torch.manual_seed(0)
        result = tw.fit(_model(), (x[:288], y[:288]), epochs=2, batch_size=64, doctor=doctor,
                        verbose=False, echo=lambda *_: None, out_dir=tmp_path / str(len(weights)))  # fmt: skip
        weights.append([p.detach().clone() for p in result.model.parameters()])
    for other in weights[1:]:
        assert all(torch.equal(a, b) for a, b in zip(weights[0], other))
