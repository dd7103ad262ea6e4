import pytest

from trainwise.config.validate import validate_config
from trainwise.errors import ConfigError
from trainwise.run.compare_config import CompareConfig


def test_defaults():
    c = CompareConfig()
    assert (c.variants, c.baseline, c.seeds, c.folds, c.metrics) == ({}, None, 3, None, None)


def test_yaml_section_keeps_order_and_reads_null_as_unchanged(tmp_path):
    from trainwise.run import load_config

    (tmp_path / "c.yaml").write_text(
        "compare:\n"
        "  variants:\n"
        "    baseline:\n"
        "    +dropout 0.2: {model.dropout: 0.2}\n"
        "    +batchnorm: {model.norm: batch}\n"
        "  baseline: +batchnorm\n"
        "  seeds: 5\n"
        "  metrics: [test_accuracy]\n"
    )
    c = load_config(tmp_path / "c.yaml").compare
    assert list(c.variants) == ["baseline", "+dropout 0.2", "+batchnorm"]
    assert c.variants["baseline"] == {} and c.variants["+dropout 0.2"] == {"model.dropout": 0.2}
    assert (c.baseline, c.seeds, c.metrics) == ("+batchnorm", 5, ["test_accuracy"])


@pytest.mark.parametrize(
    "section,needle",
    [
        ({"variants": {"a": {}}, "baseline": "b"}, "baseline 'b' is not a variant; allowed: 'a'"),
        ({"seeds": 0}, "compare.seeds: 0 is not allowed"),
        ({"folds": 1}, "compare.folds: 1 is not allowed"),
        ({"variantz": {}}, "did you mean 'compare.variants'"),
    ],
)
def test_bad_sections_name_the_field(section, needle):
    from trainwise.run.schema import Config

    with pytest.raises(ConfigError, match=needle):
        validate_config({"compare": section}, Config)
