import pytest

from trainwise.errors import ConfigError
from trainwise.experiments.comparison.variants import (
    Variant,
    parse_vary,
    pick_baseline,
    split_values,
    variant_configs,
    variants_from_mapping,
    variants_from_vary,
)
from trainwise.run.schema import Config


@pytest.mark.parametrize(
    "text,pieces",
    [
        ("0,0.2", ["0", "0.2"]),
        (" a , b ", ["a", "b"]),
        ("[32, 64],[128]", ["[32, 64]", "[128]"]),
        ("{a: 1, b: 2},x", ["{a: 1, b: 2}", "x"]),
        ("'a,b',c", ["'a,b'", "c"]),
        ("single", ["single"]),
    ],
)
def test_split_values_keeps_brackets_and_quotes_together(text, pieces):
    assert split_values(text) == pieces


def test_parse_vary_types_values_like_set():
    key, values = parse_vary("model.hidden=[32, 64],[8]")
    assert key == "model.hidden"
    assert values == [("[32, 64]", [32, 64]), ("[8]", [8])]
    _, typed = parse_vary("x.y=1e-3,true,null,adam,3")
    assert [v for _, v in typed] == [0.001, True, None, "adam", 3]
    assert [type(v) for _, v in typed] == [float, bool, type(None), str, int]


def test_cartesian_product_names_and_order():
    vs = variants_from_vary(["model.dropout=0,0.2", "optimizer.lr=1e-3,1e-2,0.1"])
    assert [v.name for v in vs] == [
        "model.dropout=0, optimizer.lr=1e-3",
        "model.dropout=0, optimizer.lr=1e-2",
        "model.dropout=0, optimizer.lr=0.1",
        "model.dropout=0.2, optimizer.lr=1e-3",
        "model.dropout=0.2, optimizer.lr=1e-2",
        "model.dropout=0.2, optimizer.lr=0.1",
    ]
    assert vs[4].overrides == {"model.dropout": 0.2, "optimizer.lr": 0.01}
    assert [v.name for v in variants_from_vary(["model.norm=none,batch"])] == [
        "model.norm=none",
        "model.norm=batch",
    ]


@pytest.mark.parametrize(
    "items,needle",
    [
        (["model.dropout"], "expected KEY=V1,V2"),
        (["model.dropout=0,,0.2"], "empty value"),
        (["model.dropout=0,0"], "repeated"),
        (["model..dropout=0"], "not a dotted key"),
        (["seed=1,2"], "cannot be varied"),
        (["output.dir=a,b"], "cannot be varied"),
        (["model.dropout=0", "model.dropout=0.2"], "more than once"),
    ],
)
def test_bad_vary_items_are_config_errors(items, needle):
    with pytest.raises(ConfigError, match=needle):
        variants_from_vary(items)


def test_mapping_keeps_order_and_null_is_unchanged():
    vs = variants_from_mapping({"b": None, "a": {"model.dropout": 0.2}})
    assert vs == [Variant("b", {}), Variant("a", {"model.dropout": 0.2})]
    with pytest.raises(ConfigError, match=r"variant 'x': 'compare.seeds' cannot be varied"):
        variants_from_mapping({"x": {"compare.seeds": 2}})
    with pytest.raises(ConfigError, match="expected a mapping"):
        variants_from_mapping({"x": 0.2})


def test_variant_configs_apply_typed_values_and_reset_compare():
    base = {"model": {"name": "mlp", "hidden": [8]}, "compare": {"seeds": 5}}
    vs = variants_from_vary(["model.hidden=[4, 4],[16]", "loss.label_smoothing=0.1"])
    cfgs = variant_configs(base, vs)
    assert cfgs[vs[0].name].model.hidden == [4, 4]
    assert cfgs[vs[1].name].model.hidden == [16]
    assert cfgs[vs[1].name].loss.label_smoothing == 0.1
    assert all(c.compare.seeds == 3 for c in cfgs.values())  # the default: a trial is a run
    assert base["model"]["hidden"] == [8]  # not mutated


def test_every_bad_variant_is_reported_at_once_naming_variant_key_and_value():
    vs = variants_from_mapping(
        {
            "ok": {"model.dropout": 0.1},
            "+typo": {"model.dropuot": 0.2},
            "+bad": {"model.activation": "relux", "optimizer.lr": -1},
        }
    )
    with pytest.raises(ConfigError) as info:
        variant_configs({}, vs)
    text = str(info.value)
    assert "3 problems in the variants" in text
    assert "variant '+typo': model.dropuot: unknown key; did you mean 'model.dropout'" in text
    assert "variant '+bad': model.activation: 'relux'" in text and "relu" in text
    assert "variant '+bad': optimizer.lr: -1" in text
    assert "'ok'" not in text


def test_baseline_is_the_unchanged_config_else_first_else_asked():
    vs = variants_from_vary(["optimizer.lr=1e-2,1e-3"])  # default lr is 1e-3
    cfgs = variant_configs({}, vs)
    assert pick_baseline(vs, cfgs, Config()) == "optimizer.lr=1e-3"
    other = Config.model_validate({"optimizer": {"lr": 0.5}})
    assert pick_baseline(vs, cfgs, other) == "optimizer.lr=1e-2"
    assert pick_baseline(vs, cfgs, Config(), asked="optimizer.lr=1e-2") == "optimizer.lr=1e-2"
    with pytest.raises(ConfigError, match="baseline: 'nope' is not a variant; allowed:"):
        pick_baseline(vs, cfgs, Config(), asked="nope")
