import torch
from torch import nn

from trainwise.doctor import Doctor


class Seq(nn.Module):
    def __init__(self, batch_first, kind=nn.LSTM, time_major=False):
        super().__init__()
        self.time_major = time_major  # how the user's forward reads the output
        self.rnn = kind(4, 16, batch_first=batch_first)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1] if self.time_major else out[:, -1])


def _run(batch_first, *, time_major_data=False, kind=nn.LSTM, steps=12):
    torch.manual_seed(0)
    model = Seq(batch_first, kind, time_major_data)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    doc = Doctor(model, opt)
    for _ in range(steps):
        x, y = torch.randn(32, 7, 4), torch.randint(0, 3, (32,))
        if time_major_data:
            x = x.transpose(0, 1)  # (seq, batch, feature), as batch_first=False expects
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        doc.step(loss, inputs=x, targets=y)
    doc.close()
    return doc


def test_batch_major_data_into_a_time_major_lstm_is_an_error(kit):
    f = kit.one(_run(batch_first=False), "sequence_dims_swapped")
    assert f.severity == "error" and f.where == "rnn"
    assert f.evidence["input_shape"] == [32, 7, 4] and "batch_first=True" in f.fix.text


def test_a_gru_is_read_the_same_way(kit):
    assert "sequence_dims_swapped" in kit.codes(_run(batch_first=False, kind=nn.GRU))


def test_batch_first_lstm_is_silent(kit):
    assert "sequence_dims_swapped" not in kit.codes(_run(batch_first=True))


def test_time_major_data_into_a_time_major_lstm_is_silent(kit):
    doc = _run(batch_first=False, time_major_data=True)
    assert "sequence_dims_swapped" not in kit.codes(doc)
