"""Before a comparison's trials run on a Ray cluster: can every node see the comparison's
folder?

Trials write their run directories under ``--out`` on whichever node Ray puts them, and this
process reads them back (summary.json, the checkpoints a retried trial resumes from). On
several machines that only works when ``--out`` is shared storage (NFS, a cluster file
system) mounted at the same path everywhere. The check: this process writes a token file
under ``--out``; one small task pinned to each alive node reads it and writes a reply file;
this process reads the replies. A node that cannot read the token, whose reply does not
arrive, or that cannot run the task at all is named in the error, before any trial starts.

The module takes the ``ray`` module as an argument, so it never imports Ray itself (Ray is an
optional extra: ``pip install trainwise[ray]``).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainwise.errors import ConfigError

#: The folder under ``--out`` that holds the check's token and reply files (removed after).
CHECK_DIR = ".shared-storage-check"
#: Seconds to wait for every node's answer.
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Node:
    """An alive Ray node: its id and the address it is known by (an IP)."""

    id: str
    address: str

    @property
    def label(self) -> str:
        return f"{self.address} (node {self.id[:12]})"


def alive_nodes(ray) -> list[Node]:
    """The cluster's alive nodes that can run tasks (a CPU resource)."""
    return [
        Node(n["NodeID"], n.get("NodeManagerAddress", "?"))
        for n in ray.nodes()
        if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0
    ]


def probe(root: str, token: str, node_id: str) -> str | None:
    """Run on one node: read the token under ``root``, write the reply. None when it worked,
    else what went wrong (the node's view)."""
    folder = Path(root) / CHECK_DIR
    try:
        seen = (folder / token).read_text()
    except OSError as exc:
        return f"cannot read {folder / token}: {exc.strerror or exc}"
    if seen != token:
        return f"reads other contents in {folder / token} (another folder at the same path)"
    try:
        (folder / f"{token}.{node_id}").write_text(node_id)
    except OSError as exc:
        return f"cannot write under {folder}: {exc.strerror or exc}"
    return None


def _first_line(exc: BaseException) -> str:
    """Ray's errors: the first line, without the internal ids that follow it."""
    text = str(exc).strip().splitlines()
    line = (text[0] if text else "").split(" lease_id=")[0]
    return f"{type(exc).__name__}: {line}"


def _answers(ray, nodes: list[Node], root: Path, token: str, timeout: float) -> dict[Node, Any]:
    """Each node's answer: None (sees the folder), a problem's text, or an exception."""
    pin = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy
    task = ray.remote(probe)
    refs = {
        node: task.options(
            num_cpus=0,
            max_retries=0,
            scheduling_strategy=pin(node.id, soft=False),
        ).remote(str(root), token, node.id)
        for node in nodes
    }
    out: dict[Node, Any] = {}
    for node, ref in refs.items():
        try:
            out[node] = ray.get(ref, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - unschedulable, timed out, died: named below
            out[node] = f"could not run the check there ({_first_line(exc)})"
            ray.cancel(ref, force=True)
    return out


def check_shared_storage(
    ray, root: str | Path, nodes: list[Node] | None = None, timeout: float = TIMEOUT_S
) -> list[Node]:
    """Raise ConfigError naming every node that cannot see ``root`` (see the module
    docstring); return the nodes checked. ``nodes``: default every alive node.

    Example::

        import ray
        ray.init(address="auto")
        check_shared_storage(ray, "/shared/runs/cmp")
    """
    root = Path(root).resolve()
    nodes = alive_nodes(ray) if nodes is None else nodes
    folder = root / CHECK_DIR
    token = uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    (folder / token).write_text(token)
    try:
        answers = _answers(ray, nodes, root, token, timeout)
        problems = []
        for node in nodes:
            answer = answers[node]
            if answer is None and not (folder / f"{token}.{node.id}").is_file():
                answer = f"its reply file under {folder} does not reach this machine"
            if answer is not None:
                problems.append(f"  - {node.label}: {answer}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if problems:
        raise ConfigError(
            f"--out: {str(root)!r} is not shared storage: {len(problems)} of {len(nodes)} Ray "
            "node(s) cannot see it, and every trial writes its run there:\n"
            + "\n".join(problems)
            + "\nAllowed: a folder every node mounts at the same path (NFS or a cluster file "
            "system); or run without --address (a local Ray on this machine)"
        )
    return nodes
