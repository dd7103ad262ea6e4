"""Turn pydantic's validation errors into messages that name the field, the value and what is
allowed, all errors at once, with the closest valid key for a misspelt one."""

from __future__ import annotations

import difflib
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from trainwise.errors import ConfigError, ConfigTypeError

#: pydantic error kinds that mean "wrong type" (a string where a number belongs), raised as
#: :class:`ConfigTypeError` so ``except TypeError`` catches them as Python's convention says.
_TYPE_KINDS = ("int_from_float",)
_TYPE_SUFFIXES = ("_type", "_parsing")


def _section_class(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The pydantic model class at ``path`` inside ``root`` (None if not a section)."""
    cls: Any = root
    for part in path:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return None
        field = cls.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        cls = _unwrap_model(field.annotation)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _unwrap_model(annotation: Any) -> Any:
    """``Foo | None`` or ``Optional[Foo]`` -> ``Foo`` for nested sections."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation) if get_origin(annotation) is not None else ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def _loc_str(loc: tuple) -> str:
    parts = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            # pydantic adds the union member / validator name to the location; drop them.
            if p.startswith(("function-", "literal[", "tagged-union[", "union[")) or p in {
                "int",
                "float",
                "str",
                "bool",
                "list[int]",
                "dict[str,any]",
                "none",
            }:
                continue
            parts.append(("." if parts else "") + p)
    return "".join(parts) or "(top level)"


def format_validation_error(
    exc: ValidationError, root: type[BaseModel], prefix: tuple[str, ...] = ()
) -> list[str]:
    """One human sentence per error. ``prefix`` is where ``root`` sits in the whole config
    (``("optimizer",)`` for an OptimizerConfig validated alone), so a section validated on its
    own words its errors exactly as the whole config does."""
    messages: list[str] = []
    seen: set[str] = set()
    for err in exc.errors():
        inner = tuple(err.get("loc", ()))
        loc = prefix + inner
        where = _loc_str(loc)
        value = err.get("input")
        kind = err.get("type", "")
        if kind == "extra_forbidden":
            parent = _section_class(root, inner[:-1])
            valid = sorted(parent.model_fields) if parent else []
            key = str(loc[-1])
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
            hint = (
                f"; did you mean {'.'.join(map(str, loc[:-1] + (close[0],)))!r}?" if close else ""
            )
            msg = f"{where}: unknown key{hint or '.'} Valid keys here: {', '.join(valid)}"
        else:
            text = err.get("msg", "invalid value")
            text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            shown = _short(value)
            msg = (
                f"{where}: {shown} is not allowed: {text}"
                if kind != "missing"
                else f"{where}: required but missing"
            )
            if text.startswith(f"{where}: "):  # the validator already named field and value
                msg = text
            elif kind != "missing" and text.startswith(f"{value!r} "):
                # the validator's sentence already leads with the value (vocabulary.canonical:
                # "'x' is not a known model"): name the field once, not the value twice
                msg = f"{where}: {text}"
        if msg not in seen:  # a union reports one error per member; keep the first
            seen.add(msg)
            messages.append(msg)
    return messages


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_type_error(exc: ValidationError) -> bool:
    """True when every error in ``exc`` is a wrong type rather than a value out of range."""
    kinds = [e.get("type", "") for e in exc.errors()]
    return bool(kinds) and all(k in _TYPE_KINDS or k.endswith(_TYPE_SUFFIXES) for k in kinds)


def validate_config(data: dict[str, Any], root: type[BaseModel]) -> BaseModel:
    """Validate ``data`` against ``root``; raise :class:`ConfigError` listing every problem
    (:class:`ConfigTypeError` when all of them are wrong types)."""
    if not isinstance(data, dict):
        raise ConfigError(f"config must be a mapping of sections, got {type(data).__name__}")
    try:
        return root.model_validate(data)
    except ValidationError as exc:
        errors = format_validation_error(exc, root)
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the config:"
        error = ConfigTypeError if is_type_error(exc) else ConfigError
        raise error("\n".join([head] + [f"  - {e}" for e in errors]), errors) from None


def make_section(cls: type[BaseModel], data: dict[str, Any], prefix: str) -> BaseModel:
    """Validate one section given as keyword arguments (the ``tw.fit`` path). ``prefix`` is
    the section's dotted place in a config file (``"optimizer"``; ``""`` for root keys such
    as ``seed``), so each error reads exactly as the config loader words it, e.g.
    ``optimizer.lr: -0.1 is not allowed: must be > 0``.

    Example::

        make_section(OptimizerConfig, {"name": "adam", "lr": 3e-3}, "optimizer")
    """
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        errors = format_validation_error(exc, cls, tuple(prefix.split(".")) if prefix else ())
        error = ConfigTypeError if is_type_error(exc) else ConfigError
        raise error("\n".join(errors), errors) from None
