import json
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from torch import nn

import trainwise as tw
from trainwise.cli.main import main
from trainwise.errors import ArgumentTypeError, ConfigError
from trainwise.training.lr_finder import lr_find

# -- a quadratic with known curvature -------------------------------------------------------
# Linear regression, MSE, full batch: the loss is a quadratic with Hessian 2 X^T X / n, built
# here to be diag(4, 0.25). Gradient descent diverges above 2 / L = 0.5 (L = 4).
N = 256
CURVATURES = (4.0, 0.25)
W_TRUE = torch.tensor([1.0, -4.0])


def _quadratic():
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(N, 2, generator=g))  # orthonormal columns
    x = q * torch.tensor([math.sqrt(c * N / 2) for c in CURVATURES])
    y = x @ W_TRUE + 0.3 * torch.randn(N, generator=g)
    return x, y


def _linear():
    m = nn.Linear(2, 1, bias=False)
    nn.init.zeros_(m.weight)
    return m


def _gd_excess_ratio(lr: float, steps: int = 40) -> float:
    """Closed form: excess loss after ``steps`` of GD from w = 0, over the initial excess.
    Along eigen-direction k the error shrinks by (1 - lr * c_k) per step."""
    c = np.array(CURVATURES)
    e0 = W_TRUE.numpy().astype(np.float64)  # the least-squares w is W_TRUE up to the noise
    return float((c * (e0 * (1 - lr * c) ** steps) ** 2).sum() / (c * e0**2).sum())


def test_suggestion_is_inside_the_good_range_of_a_quadratic():
    x, y = _quadratic()
    assert torch.allclose(2 * x.T @ x / N, torch.diag(torch.tensor(CURVATURES)), atol=1e-4)
    # Good range, in closed form: stable (lr < 2 / L) and 40 steps remove 90% of the excess.
    grid = np.logspace(-3, 0, 301)
    good = grid[[_gd_excess_ratio(lr) < 0.1 for lr in grid]]
    low, high = good.min(), good.max()
    assert high < 2 / max(CURVATURES) and 0.05 < low < 0.2  # the range is not trivially wide

    result = lr_find(_linear(), (x, y), loss="mse", optimizer="sgd", batch_size=N)
    assert low <= result.suggested <= high, result.message
    assert result.agreement is not None and result.agreement < 1.0
    # and it does train: 40 real GD steps at the suggestion remove 90% of the excess loss
    model = _linear()
    opt = torch.optim.SGD(model.parameters(), lr=result.suggested)
    for _ in range(40):
        opt.zero_grad()
        nn.functional.mse_loss(model(x).squeeze(1), y).backward()
        opt.step()
    floor = nn.functional.mse_loss(x @ torch.linalg.lstsq(x, y).solution, y).item()
    first = nn.functional.mse_loss(torch.zeros_like(y), y).item()
    final = nn.functional.mse_loss(model(x).squeeze(1), y).item()
    assert final - floor < 0.1 * (first - floor)


# -- logistic regression on blobs ---------------------------------------------------------------
def _blobs():
    x, y = make_blobs(512, centers=3, n_features=5, cluster_std=2.0, random_state=0)
    x = (x - x.mean(0)) / x.std(0)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def _train_fixed(lr: float, x, y, epochs: int = 3, batch: int = 32) -> tuple[float, float]:
    torch.manual_seed(0)
    model = nn.Linear(5, 3)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        out = model(x)
    loss = nn.functional.cross_entropy(out, y).item()
    return loss, (out.argmax(1) == y).float().mean().item()


def test_suggestion_is_inside_the_good_range_of_logistic_regression(one_thread):
    x, y = _blobs()
    # The good range, measured: SGD at fixed LRs for 3 epochs; good = accuracy >= 97% and a
    # loss within 4x of the best LR's.
    grid = [10 ** (k / 2) for k in range(-6, 3)]  # 1e-3 .. 10
    runs = {lr: _train_fixed(lr, x, y) for lr in grid}
    best = min(loss for loss, _ in runs.values())
    good = [lr for lr, (loss, acc) in runs.items() if acc >= 0.97 and loss <= 4 * best]
    assert 1e-3 < min(good) and len(good) < len(grid)

    torch.manual_seed(0)
    result = lr_find(nn.Linear(5, 3), (x, y), optimizer="sgd", batch_size=32)
    assert min(good) <= result.suggested <= max(good), (result.message, good)
    assert all(v is not None for v in result.suggestions.values())


# -- mechanics ------------------------------------------------------------------------------------
def test_sweep_is_exponential_and_deterministic():
    x, y = _blobs()
    torch.manual_seed(0)
    a = lr_find(nn.Linear(5, 3), (x, y), start_lr=1e-5, end_lr=1e-1, num_steps=20)
    torch.manual_seed(0)
    b = lr_find(nn.Linear(5, 3), (x, y), start_lr=1e-5, end_lr=1e-1, num_steps=20)
    assert a.stop_reason is None and len(a.lrs) == 20
    assert a.lrs[0] == pytest.approx(1e-5) and a.lrs[-1] == pytest.approx(1e-1)
    assert np.allclose(np.diff(np.log10(a.lrs)), 4 / 19)
    assert a.losses == b.losses and a.suggestions == b.suggestions


def test_stops_when_the_smoothed_loss_exceeds_4x_the_best():
    x, y = _quadratic()
    result = lr_find(
        _linear(), (x, y), loss="mse", optimizer="sgd", batch_size=N, num_steps=200, smooth=0.3
    )
    s = result.smoothed
    assert len(s) < 200 and "exceeded 4x the best" in result.stop_reason
    assert s[-1] > 4 * min(s[:-1])
    running_best = np.minimum.accumulate(s[:-1])
    assert all(v <= 4 * b for v, b in zip(s[1:-1], running_best[:-1]))
    # a factor that is never reached: the sweep goes on until the loss is no longer finite
    far = lr_find(
        _linear(),
        (x, y),
        loss="mse",
        optimizer="sgd",
        batch_size=N,
        end_lr=1e4,
        diverge_factor=1e300,
    )
    assert not math.isfinite(far.losses[-1]) and "loss became" in far.stop_reason
    json.dumps(far.to_dict(), allow_nan=False)  # non-finite losses are written as null


@pytest.mark.parametrize("smooth", [1.0, 0.05])
def test_stop_is_the_first_step_past_4x(smooth):
    # loss = w^2 with SGD: w <- w (1 - 2 lr), so from lr = 1 on the loss grows slowly at first
    # and the step that crosses 4x the best is well defined.
    model = nn.Linear(1, 1, bias=False)
    nn.init.ones_(model.weight)
    x, y = torch.ones(8, 1), torch.zeros(8)
    result = lr_find(
        model,
        (x, y),
        loss="mse",
        optimizer="sgd",
        batch_size=8,
        start_lr=1.0,
        end_lr=2,
        num_steps=200,
        smooth=smooth,
    )
    s = result.smoothed
    crossing = next(i for i in range(1, len(s)) if s[i] > 4 * min(s[:i]))
    assert len(s) == crossing + 1 < 200
    assert s[crossing] < 8 * min(s[:crossing])  # a gradual rise: a 2x looser rule would differ


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.body(x))


def test_model_optimizer_and_rng_are_restored_bit_for_bit():
    x, y = _blobs()
    torch.manual_seed(0)
    model = _Net()
    opt = torch.optim.Adam(
        [
            {"params": model.body.parameters(), "lr": 1e-3},
            {"params": model.head.parameters(), "lr": 2e-3},
        ]
    )
    for _ in range(3):  # give Adam moments, BatchNorm running statistics
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[:64]), y[:64]).backward()
        opt.step()
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = opt.state_dict()
    moments = {k: {n: t.clone() for n, t in v.items()} for k, v in opt_before["state"].items()}
    groups = [{k: v for k, v in g.items()} for g in opt_before["param_groups"]]
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)

    result = lr_find(model, (x, y), optimizer=opt, num_steps=30, seed=5)

    assert torch.equal(torch.rand(3), expected_next)  # global RNG untouched
    assert not model.training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    state = opt.state_dict()
    assert state["param_groups"] == groups
    for k, v in moments.items():
        assert all(torch.equal(t, state["state"][k][n]) for n, t in v.items())
    # the sweep did train (the loss moved) before everything was put back
    assert len(result.lrs) == 30 and result.lrs[0] == pytest.approx(1e-7)
    assert len(set(result.losses)) > 1


def test_apply_sets_the_suggestion_on_every_param_group():
    x, y = _quadratic()
    result = lr_find(_linear(), (x, y), loss="mse", optimizer="sgd", batch_size=N)
    a, b = nn.Linear(2, 2), nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 9.0}])
    assert result.apply(opt) == result.suggested
    assert [g["lr"] for g in opt.param_groups] == [result.suggested] * 2
    flat = tw.LRFindResult([1e-3], [1.0], [1.0], {}, None, None, "no clear descent")
    with pytest.raises(ConfigError, match="lr_find: suggested is None"):
        flat.apply(opt)
    assert [g["lr"] for g in opt.param_groups] == [result.suggested] * 2  # left alone


def test_plot_is_written(tmp_path):
    x, y = _blobs()
    path = tmp_path / "sub" / "lr.png"
    result = lr_find(nn.Linear(5, 3), (x, y), num_steps=40, plot=path)
    assert result.plot_path == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"start_lr": 0}, "start_lr: 0 is not allowed"),
        ({"end_lr": 1e-8}, "end_lr: 1e-08 is not allowed; must be finite and larger than start_lr"),
        ({"num_steps": 3}, "num_steps: 3 is not allowed; must be an integer >= 5"),
        ({"num_steps": 10.5}, "num_steps: 10.5"),
        ({"smooth": 0}, "smooth: 0 is not allowed; must be in (0, 1]"),
        ({"diverge_factor": 1.0}, "diverge_factor: 1.0 is not allowed; must be > 1"),
        ({"optimizer": "adamm"}, "optimizer.name"),
        ({"loss": "hinge"}, "loss.name"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, needle):
    x, y = _blobs()
    with pytest.raises(ConfigError) as info:
        lr_find(nn.Linear(5, 3), (x, y), **kwargs)
    assert needle in str(info.value)


def test_bad_types():
    with pytest.raises(ArgumentTypeError, match="model: expected a torch.nn.Module"):
        lr_find("model", (torch.zeros(4, 2), torch.zeros(4)))
    with pytest.raises(ArgumentTypeError, match="optimizer: expected"):
        lr_find(nn.Linear(2, 2), (torch.zeros(8, 2), torch.zeros(8).long()), optimizer=3.0)


def test_top_level_api():
    assert tw.lr_find is lr_find
    assert tw.LRFindResult.__name__ == "LRFindResult"


# -- command line ---------------------------------------------------------------------------------
def test_cli_writes_json_and_plot(tmp_path, capsys):
    out = tmp_path / "lrf"
    code = main(
        ["lr-find", "examples/circles.yaml", "--out", str(out), "--steps", "40", "--start", "1e-4"]
    )
    assert code == 0
    data = json.loads((out / "lr_find.json").read_text())
    assert len(data["lrs"]) == len(data["losses"]) == len(data["smoothed"]) <= 40
    assert data["lrs"][0] == pytest.approx(1e-4)
    assert set(data["suggestions"]) == {"steepest", "valley", "min_div_10"}
    assert data["settings"]["num_steps"] == 40 and data["settings"]["batch_size"] == 32
    assert (out / "lr_find.png").stat().st_size > 5_000
    printed = capsys.readouterr().out
    assert "lr_find.png" in printed and ("suggested LR" in printed or "no suggestion" in printed)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--start", "-1"], "start_lr: -1.0 is not allowed"),
        (["--start", "1", "--end", "0.1"], "end_lr: 0.1 is not allowed"),
        (["--steps", "2"], "num_steps: 2 is not allowed"),
        (["--steps", "abc"], "invalid int value"),
        (["--set", "optimizer.name=adamm"], "optimizer.name"),
    ],
)
def test_cli_bad_arguments_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "never"
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["lr-find", "examples/circles.yaml", "--out", str(out), *args]))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not out.exists()  # nothing is written for bad input
