import pytest

from trainwise.config.yaml_loader import load_yaml_file, parse_yaml_text
from trainwise.errors import ConfigError


def test_exponent_without_dot_is_a_float():
    assert parse_yaml_text("lr: 1e-4") == {"lr": 1e-4}
    assert parse_yaml_text("lr: 3E2") == {"lr": 300.0}
    assert parse_yaml_text("n: 12") == {"n": 12}
    assert parse_yaml_text("name: e5") == {"name": "e5"}


def test_duplicate_keys_are_refused_with_both_lines():
    with pytest.raises(
        ConfigError, match=r"duplicate key 'lr' at line 3 \(first defined at line 2\)"
    ):
        parse_yaml_text("optimizer:\n  lr: 1\n  lr: 2\n")


def test_same_key_in_different_sections_is_fine():
    assert parse_yaml_text("a:\n  x: 1\nb:\n  x: 2\n") == {"a": {"x": 1}, "b": {"x": 2}}


def test_syntax_error_names_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("model:\n  name: [cnn\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: YAML syntax error at line \d+"):
        load_yaml_file(p)


def test_no_python_objects_are_constructed():
    with pytest.raises(ConfigError, match="YAML syntax error"):
        parse_yaml_text("x: !!python/object/apply:os.system ['echo hi']")


def test_missing_file_and_directory_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_yaml_file(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_yaml_file(tmp_path)
    p = tmp_path / "list.yaml"
    p.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_yaml_file(p)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_yaml_file(empty) == {}
