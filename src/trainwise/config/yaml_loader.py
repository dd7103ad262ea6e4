"""Read YAML config files safely and strictly.

PyYAML's ``safe_load`` never constructs Python objects (no code execution), but it silently
keeps the last of two duplicate keys and reads ``1e-4`` as a string (YAML 1.1 wants a dot).
Both surprise people writing configs, so this loader, a small subclass of ``SafeLoader``
(by hand because PyYAML has no option for either), rejects duplicates and reads ``1e-4`` as a
float.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from trainwise.errors import ConfigError

# YAML 1.2 float syntax (exponent without a dot), added to YAML 1.1's resolver.
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and reads 1e-4 as a float."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            # deep: a list/dict key is built in full, so the message can show it
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                # `{[1]: 2}` or `? [a]` is valid YAML but no config field is named by a list
                raise ConfigError(
                    f"key {key!r} at line {line} is a {type(key).__name__}; allowed: plain keys "
                    "such as lr or optimizer"
                ) from None
            if key in seen:
                first = seen[key]
                raise ConfigError(
                    f"duplicate key {key!r} at line {line} (first defined at line {first}); "
                    "each key may appear once per section"
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# Resolvers are class-level in PyYAML; copy before adding so plain SafeLoader is unchanged.
StrictSafeLoader.yaml_implicit_resolvers = {
    k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictSafeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))


def parse_yaml_text(text: str, source: str = "<string>") -> Any:
    """Parse YAML text with :class:`StrictSafeLoader`; syntax errors become ConfigError."""
    try:
        return yaml.load(text, Loader=StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}: YAML syntax error{where}: {problem}") from None


def load_yaml_file(path: str | Path) -> dict[str, Any]:
    """Load a YAML config file into a dict. Errors name the file and what is wrong.

    Example::

        cfg = load_yaml_file("examples/mnist1d.yaml")
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    if p.is_dir():
        raise ConfigError(f"config file {str(p)!r} is a directory; give a YAML file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(p)!r} cannot be read: {exc}") from None
    data = parse_yaml_text(text, source=str(p))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{p}: the top level must be a mapping of sections (data:, model:, ...), "
            f"got {type(data).__name__}"
        )
    return data
