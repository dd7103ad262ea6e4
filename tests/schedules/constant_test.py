from trainwise.schedules.constant import constant_lr


def test_constant():
    assert [constant_lr(s, base_lr=0.1) for s in range(5)] == [0.1] * 5
