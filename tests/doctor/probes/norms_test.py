import pytest
import torch

from trainwise.doctor.probes.norms import norms


def _loop(tensors):
    # what the probes computed before: one vector_norm per tensor, on its .float()
    return [torch.linalg.vector_norm(t.float()) for t in tensors]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_same_numbers_as_one_vector_norm_per_tensor(dtype):
    torch.manual_seed(0)
    shapes = [(16, 1, 3), (16,), (32, 16, 3), (0,), (10, 32), (1,)]
    tensors = [(torch.randn(s) * 10 ** torch.randint(-4, 4, ()).item()).to(dtype) for s in shapes]
    tensors.append(torch.tensor([float("inf"), 1.0]).to(dtype))
    tensors.append(torch.tensor([float("nan"), 1.0]).to(dtype))
    got, want = norms(tensors), _loop(tensors)
    assert [g.dtype for g in got] == [w.dtype for w in want] == [torch.float32] * len(tensors)
    # bit for bit on CPU (the foreach op runs the same kernel per tensor); NaN stays NaN
    assert torch.equal(torch.stack(got).nan_to_num(-1.0), torch.stack(want).nan_to_num(-1.0))


def test_empty_list_and_the_per_tensor_fallback(monkeypatch):
    assert norms([]) == []

    def refuse(tensors):
        raise RuntimeError("not on this backend")

    monkeypatch.setattr(torch, "_foreach_norm", refuse)
    got = norms([torch.tensor([3.0, 4.0]), torch.ones(4, dtype=torch.half)])
    assert [float(n) for n in got] == [5.0, 2.0]
