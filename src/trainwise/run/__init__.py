"""The run layer: a YAML config -> a finished run directory.

:mod:`~trainwise.run.schema` holds the root :class:`Config` and :func:`load_config`;
:mod:`~trainwise.run.session` trains what a config describes (``trainwise run``).

Example::

    from trainwise.run import load_config
    cfg = load_config("examples/circles.yaml", ["training.epochs=5"])
"""

from trainwise.run.schema import Config, load_config

__all__ = ["Config", "load_config"]
