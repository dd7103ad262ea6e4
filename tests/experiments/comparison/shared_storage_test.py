"""The shared-storage check's logic with a stand-in for Ray that runs each node's probe here,
some of them against another folder (a node whose mount is elsewhere). The real Ray runs it
in ray_backend_test.py."""

from types import SimpleNamespace

import pytest

from trainwise.errors import ConfigError
from trainwise.experiments.comparison.shared_storage import (
    CHECK_DIR,
    Node,
    alive_nodes,
    check_shared_storage,
    probe,
)


class _Pin:
    def __init__(self, node_id, soft):
        self.node_id = node_id


def _fake_ray(views, unreachable=()):
    """``views``: node id -> the folder that node sees at ``--out``'s path."""

    def remote(fn):
        def options(scheduling_strategy, **_):
            node = scheduling_strategy.node_id

            def run(root, token, node_id):
                if node in unreachable:
                    return RuntimeError("TaskUnschedulableError: no such node lease_id=0f")
                return fn(str(views[node]), token, node_id)

            return SimpleNamespace(remote=run)

        return SimpleNamespace(options=options)

    def get(ref, timeout):
        if isinstance(ref, Exception):
            raise ref
        return ref

    nodes = [
        {
            "NodeID": "a" * 56,
            "NodeManagerAddress": "10.0.0.1",
            "Alive": True,
            "Resources": {"CPU": 4},
        },
        {"NodeID": "d" * 56, "NodeManagerAddress": "10.0.0.4", "Alive": False, "Resources": {}},
        {"NodeID": "h" * 56, "NodeManagerAddress": "10.0.0.8", "Alive": True, "Resources": {}},
    ]
    return SimpleNamespace(
        remote=remote,
        get=get,
        cancel=lambda ref, force: None,
        nodes=lambda: nodes,
        util=SimpleNamespace(
            scheduling_strategies=SimpleNamespace(NodeAffinitySchedulingStrategy=_Pin)
        ),
    )


def test_alive_nodes_are_those_that_can_run_tasks():
    assert alive_nodes(_fake_ray({})) == [Node("a" * 56, "10.0.0.1")]


def test_every_node_seeing_the_folder_passes_and_leaves_nothing(tmp_path):
    nodes = [Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2")]
    fake = _fake_ray({"n1": tmp_path, "n2": tmp_path})
    assert check_shared_storage(fake, tmp_path, nodes) == nodes
    assert not (tmp_path / CHECK_DIR).exists()


def test_nodes_that_cannot_see_it_are_named(tmp_path):
    elsewhere = tmp_path / "elsewhere"  # node n2 mounts another disk at that path
    (elsewhere / CHECK_DIR).mkdir(parents=True)
    out = tmp_path / "out"
    nodes = [Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2"), Node("n3", "10.0.0.3")]
    fake = _fake_ray({"n1": out, "n2": elsewhere, "n3": out}, unreachable={"n3"})
    with pytest.raises(ConfigError) as info:
        check_shared_storage(fake, out, nodes)
    msg = str(info.value)
    assert f"--out: {str(out)!r} is not shared storage: 2 of 3 Ray node(s) cannot see it" in msg
    assert "10.0.0.1" not in msg
    assert "  - 10.0.0.2 (node n2): cannot read " in msg
    assert "  - 10.0.0.3 (node n3): could not run the check there (RuntimeError: " in msg
    assert "lease_id" not in msg and "Allowed: a folder every node mounts" in msg
    assert not (out / CHECK_DIR).exists()


def test_probe_reads_the_token_and_replies(tmp_path):
    (tmp_path / CHECK_DIR).mkdir()
    assert probe(str(tmp_path), "t0", "n1").startswith("cannot read ")
    (tmp_path / CHECK_DIR / "t0").write_text("other")
    assert "reads other contents" in probe(str(tmp_path), "t0", "n1")
    (tmp_path / CHECK_DIR / "t0").write_text("t0")
    assert probe(str(tmp_path), "t0", "n1") is None
    assert (tmp_path / CHECK_DIR / "t0.n1").read_text() == "n1"
