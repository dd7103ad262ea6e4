"""Fuzz the config validator: whatever a user writes, it is accepted or refused with ConfigError.

Random nested dicts are built from the real field names of
:class:`trainwise.run.schema.Config` (so the generator reaches every section's own
validators, not only the "unknown key" check), with values of every YAML type, plus random
``--set`` strings and random YAML text. Any exception other than ConfigError (a TypeError from
a validator, a RecursionError, a pydantic error that escaped) fails the test.
Derandomized so CI sees the same examples every run.
"""

import math
import types
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from trainwise.config.overrides import apply_overrides
from trainwise.config.validate import validate_config
from trainwise.config.yaml_loader import parse_yaml_text
from trainwise.errors import ConfigError
from trainwise.run.schema import Config

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _section_of(annotation):
    """The BaseModel class inside ``Foo``, ``Foo | None`` or ``Optional[Foo]`` (else None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


def _literals(annotation, out: set) -> None:
    """Collect the allowed strings of every ``Literal[...]`` in an annotation."""
    if typing.get_origin(annotation) is typing.Literal:
        out.update(a for a in typing.get_args(annotation) if isinstance(a, str))
    for arg in typing.get_args(annotation):
        _literals(arg, out)


def _tree(cls: type[BaseModel]) -> dict:
    """{field: subtree or None} for a section class, recursively."""
    return {
        name: (_tree(sub) if (sub := _section_of(f.annotation)) else None)
        for name, f in cls.model_fields.items()
    }


def _paths(tree: dict, prefix: str = "") -> list[str]:
    out = []
    for name, sub in tree.items():
        out.append(prefix + name)
        if sub:
            out.extend(_paths(sub, prefix + name + "."))
    return out


def _all_literals(cls: type[BaseModel], out: set) -> set:
    for f in cls.model_fields.values():
        _literals(f.annotation, out)
        sub = _section_of(f.annotation)
        if sub is not None:
            _all_literals(sub, out)
    return out


TREE = _tree(Config)
PATHS = _paths(TREE)
# Valid choices make the generator pass the name checks and reach the cross-field validators.
NAMES = sorted(
    _all_literals(Config, set())
    | {"adam", "sgd", "momentum", "rmsprop", "adamw", "cross_entropy", "mse", "bce", "huber"}
    | {"cosine", "onecycle", "step", "multistep", "exponential", "relu", "gelu", "he_normal"}
    # training.device is a checked string (cuda:N is allowed), not a Literal the walk collects
    | {"cpu", "cuda", "cuda:1", "mps", "cuda:x", "tpu"}
)

scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e-3, math.nan, math.inf, -math.inf, 2**64]),
    st.text(max_size=12),
    st.sampled_from(NAMES),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.sampled_from(PATHS)), inner, max_size=3),
    ),
    max_leaves=8,
)


def _plausible(field) -> st.SearchStrategy:
    """Values of the field's own kind (its default, its literal choices, small numbers), so a
    fair share of configs pass the type checks and reach the cross-field validators."""
    choices: set = set()
    _literals(field.annotation, choices)
    default = field.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return st.just(default.model_dump())
    return st.one_of(
        st.sampled_from(sorted(choices, key=str) + [default]),
        st.sampled_from([0, 1, 2, 3, 10, 0.1, 0.5, 0.99, 1e-3, -1, [2, 4], [16, 32]]),
    )


@st.composite
def config_dicts(draw, cls: type[BaseModel] = Config, depth: int = 0) -> dict:
    """A few of the section's fields, each a sub-section, a plausible or a random value, and
    now and then a misspelt key."""
    names = draw(st.lists(st.sampled_from(sorted(cls.model_fields)), max_size=4, unique=True))
    out: dict = {}
    for name in names:
        field = cls.model_fields[name]
        sub = _section_of(field.annotation)
        if sub is not None and depth < 3 and draw(st.booleans()):
            out[name] = draw(config_dicts(sub, depth + 1))
        else:
            out[name] = draw(st.one_of(_plausible(field), values))
    if draw(st.integers(0, 15)) == 5:  # ~1 in 16 (hypothesis draws the bounds more often)
        out[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return out


def _accepts_or_config_error(data) -> None:
    try:
        cfg = validate_config(data, Config)
    except ConfigError as exc:
        assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
        return
    assert isinstance(cfg, Config)


@FUZZ
@given(config_dicts())
def test_random_configs_are_accepted_or_raise_config_error(data):
    _accepts_or_config_error(data)


set_keys = st.one_of(st.sampled_from(PATHS), st.text(max_size=15))
set_values = st.one_of(
    st.text(max_size=15),
    st.sampled_from(NAMES),
    st.sampled_from(["1e-3", "-1", "0", "nan", ".inf", "[1, 2]", "{a: 1}", "null", "true", "["]),
    st.sampled_from(["{[1]: 2}", "!!python/object/apply:os.system ['true']", "&a [*a]", "a: b: c"]),
)
set_items = st.one_of(
    st.tuples(set_keys, set_values).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.text(max_size=20),  # anything at all, with or without '='
)


@FUZZ
@given(config_dicts(), st.lists(set_items, max_size=4))
def test_random_set_overrides_are_accepted_or_raise_config_error(base, overrides):
    try:
        data = apply_overrides(base, overrides)
    except ConfigError:
        return
    _accepts_or_config_error(data)


yaml_fragments = st.sampled_from(
    [": ", "- ", "\n", "  ", "[", "]", "{", "}", ",", "&a ", "*a", "? ", "!!", "'", '"', "#", "|"]
)
yaml_text = st.lists(
    st.one_of(yaml_fragments, st.sampled_from(PATHS), st.text(max_size=4)), max_size=12
).map("".join)


@FUZZ
@given(yaml_text)
def test_random_yaml_text_parses_or_raises_config_error(text):
    try:
        data = parse_yaml_text(text, source="fuzz.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.yaml:")
        return
    if isinstance(data, dict):
        _accepts_or_config_error(data)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("{[1]: 2}", "key [1] at line 1"),
        ("? {a: 1}\n: 2", "key {'a': 1} at line 1"),
        ("optimizer:\n  lr: 1\n  lr: 2\n", "duplicate key 'lr' at line 3"),
    ],
)
def test_yaml_keys_that_cannot_be_keys_are_config_errors(text, needle):
    # Found by the fuzz test above: an unhashable key used to escape as a bare TypeError.
    with pytest.raises(ConfigError, match=r"^fuzz\.yaml: ") as info:
        parse_yaml_text(text, source="fuzz.yaml")
    assert needle in str(info.value)


def test_the_generator_reaches_every_section():
    # Guards the fuzz test itself: if the schema grows a section the walk does not see, or
    # the walk breaks, the random configs would only ever hit "unknown key".
    assert {"data.augment.flip", "optimizer.lr", "callbacks.early_stopping.patience"} <= set(PATHS)
    assert {"mlp", "cnn", "keras", "stratified", "bf16"} <= set(_all_literals(Config, set()))
