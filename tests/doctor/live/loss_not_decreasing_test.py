import torch
from torch import nn


def test_random_labels_fire_with_ranked_hypotheses(kit):
    doc = kit.train(kit.mlp(), xy=kit.data(random_labels=True), steps=200)
    f = kit.one(doc, "loss_not_decreasing")
    assert f.step == 0
    causes = [h["cause"] for h in f.evidence["hypotheses"]]
    scores = [h["score"] for h in f.evidence["hypotheses"]]
    assert scores == sorted(scores, reverse=True)
    assert causes[0] == "labels_carry_no_signal"
    assert f.evidence["trivial_loss"] is not None
    assert abs(f.evidence["trivial_loss"] - 1.386) < 0.05  # log(4): balanced random labels
    assert kit.codes(doc) == {"loss_not_decreasing"}


class IgnoresInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Linear(8, 4)

    def forward(self, x):
        return self.out(torch.ones_like(x))


def test_a_model_that_ignores_its_input_ranks_that_first(kit):
    torch.manual_seed(0)
    doc = kit.train(IgnoresInput(), steps=200)
    f = kit.one(doc, "loss_not_decreasing")
    assert f.evidence["hypotheses"][0]["cause"] == "output_ignores_input"
    assert "output_ignores_input" in f.message


def test_healthy_run_is_silent(kit):
    doc = kit.train(kit.mlp(), steps=200)
    assert "loss_not_decreasing" not in kit.codes(doc)


def test_quiet_when_a_specific_cause_explains_it(kit):
    model = kit.mlp()
    doc = kit.train(model, torch.optim.SGD(model.parameters(), lr=1e-7), steps=200)
    assert kit.codes(doc) == {"lr_too_low"}


def test_regression_with_targets_unrelated_to_inputs_fires(kit):
    x, _ = kit.data()
    y = torch.randn(len(x), 1, generator=torch.Generator().manual_seed(1))
    model = kit.mlp(classes=1)
    doc = kit.train(model, xy=(x, y), loss_fn=nn.MSELoss(), steps=200)
    f = kit.one(doc, "loss_not_decreasing")
    assert abs(f.evidence["trivial_loss"] - 1.0) < 0.2  # the targets' variance
