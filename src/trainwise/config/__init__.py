"""Config machinery shared by every section: the strict YAML loader, ``--set`` overrides, the
:class:`~trainwise.config.section.Section` base class and the error formatter.

The root schema and ``load_config`` sit at the top, in :mod:`trainwise.run.schema` (they know
every layer's section); ``tw.load_config`` is that function.
"""
