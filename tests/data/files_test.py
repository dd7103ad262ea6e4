from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from trainwise.data.config import DataConfig
from trainwise.data.files import load_csv, load_image_folder, load_npz
from trainwise.data.load import load_data
from trainwise.errors import DataError


def _write(path, text):
    path.write_text(text)
    return path


def test_csv_round_trip_with_header_and_class_names(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 3)).round(4)
    names = np.array(["cat", "dog", "eel"])[np.arange(30) % 3]
    lines = ["a,b,c,animal"] + [f"{r[0]},{r[1]},{r[2]},{n}" for r, n in zip(x, names)]
    p = _write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    raw = load_csv(p, target="animal")
    assert np.allclose(raw.x, x, atol=1e-6) and raw.x.dtype == np.float32
    assert raw.y.tolist() == names.tolist() and raw.task == "classification"
    b = load_data(
        DataConfig(
            name="csv",
            path=str(p),
            target="animal",
            validation_split=0,
            test_split=0,
            standardize="none",
        )
    )
    assert b.class_names == ["cat", "dog", "eel"] and b.num_classes == 3
    assert b.y_train.tolist() == (np.arange(30) % 3).tolist()
    assert np.allclose(b.x_train.numpy(), x, atol=1e-6)


def test_csv_without_header_last_column_integers(tmp_path):
    p = _write(tmp_path / "t.csv", "1,2,0\n3,4,1\n5,6,1\n")
    raw = load_csv(p)
    assert raw.x.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert raw.y.dtype == np.int64 and raw.y.tolist() == [0, 1, 1]


def test_csv_target_by_index_and_float_targets_regress(tmp_path):
    p = _write(tmp_path / "t.csv", "y,f1,f2\n0.5,1,2\n1.5,3,4\n")
    raw = load_csv(p, target=0)
    assert raw.task == "regression" and raw.y.tolist() == [0.5, 1.5]
    assert raw.x.tolist() == [[1, 2], [3, 4]]
    assert load_csv(p, target=-3).y.tolist() == [0.5, 1.5]


def test_csv_errors_name_the_problem(tmp_path):
    p = _write(tmp_path / "t.csv", "a,b,label\n1,2,0\n3,x,1\n")
    with pytest.raises(DataError, match=r"t.csv' line 3, b: 'x' is not a number"):
        load_csv(p, target="label")
    with pytest.raises(
        DataError, match=r"data.target: 'lbl' is not a column .*allowed: a, b, label"
    ):
        load_csv(p, target="lbl")
    with pytest.raises(DataError, match=r"data.target: 5 .*allowed: -3..2"):
        load_csv(p, target=5)
    ragged = _write(tmp_path / "r.csv", "1,2,0\n3,1\n")
    with pytest.raises(DataError, match="line 2 has 2 columns; allowed: 3"):
        load_csv(ragged)
    with pytest.raises(DataError, match="data.path: .*missing.csv' is not an existing file"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="is empty"):
        load_csv(_write(tmp_path / "e.csv", ""))


def test_csv_missing_cell_is_reported_as_nan(tmp_path):
    p = _write(tmp_path / "t.csv", "1,2,0\n,4,1\n5,6,1\n7,8,0\n")
    assert np.isnan(load_csv(p).x[1, 0])
    with pytest.raises(DataError, match="x: 1 NaN/Inf values"):
        load_data(DataConfig(name="csv", path=str(p), validation_split=0, test_split=0))


def test_npz_round_trip_with_test_set(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2, 16)), rng.integers(0, 3, 20)
    xt, yt = rng.normal(size=(5, 2, 16)), rng.integers(0, 3, 5)
    np.savez(tmp_path / "d.npz", x=x, y=y, x_test=xt, y_test=yt)
    raw = load_npz(tmp_path / "d.npz")
    assert raw.kind == "signal" and raw.task == "classification"
    assert np.allclose(raw.x, x) and np.array_equal(raw.y, y) and np.allclose(raw.x_test, xt)
    b = load_data(
        DataConfig(
            name="npz", path=str(tmp_path / "d.npz"), validation_split=0.2, standardize="none"
        )
    )
    assert b.x_train.shape == (16, 2, 16) and b.x_test.shape == (5, 2, 16)
    assert np.allclose(b.x_test.numpy(), xt, atol=1e-6)  # own test set kept, no test split


def test_npz_refuses_object_arrays(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, x=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DataError, match="object \\(pickled\\) array.*pickle is refused"):
        load_npz(p)


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((3, 2)))
    with pytest.raises(DataError, match=r"has arrays \['x'\]; allowed: 'x' and 'y'"):
        load_npz(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", x=np.zeros((3, 2)), y=np.zeros(3), x_test=np.zeros((1, 2)))
    with pytest.raises(DataError, match="only one of"):
        load_npz(tmp_path / "b.npz")
    _write(tmp_path / "c.npz", "not a zip")
    with pytest.raises(DataError, match="c.npz' cannot be read as .npz"):
        load_npz(tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2, 2, 2, 2)), y=np.zeros(3))
    with pytest.raises(DataError, match=r"shape \(3, 2, 2, 2, 2\); allowed"):
        load_npz(tmp_path / "d.npz")


def _image(path, size, value, mode="L"):
    color = value if mode == "L" else (value, 0, 255 - value)
    Image.new(mode, size, color=color).save(path)


def test_image_folder_gray_resized_and_labelled(tmp_path):
    for cls, value in (("cat", 0), ("dog", 255)):
        (tmp_path / cls).mkdir()
        _image(tmp_path / cls / "1.png", (6, 4), value)
        _image(tmp_path / cls / "2.png", (3, 3), value)  # resized to the first size
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    raw = load_image_folder(tmp_path)
    assert raw.x.shape == (4, 1, 4, 6)  # (N, C, H, W); PIL sizes are (W, H)
    assert raw.y.tolist() == [0, 0, 1, 1] and raw.class_names == ["cat", "dog"]
    assert raw.x[:2].max() == 0.0 and raw.x[2:].min() == 1.0
    assert raw.kind == "image" and raw.x.dtype == np.float32


def test_image_folder_rgb_with_train_test(tmp_path):
    for part, n in (("train", 3), ("test", 1)):
        for cls in ("a", "b"):
            (tmp_path / part / cls).mkdir(parents=True)
            for i in range(n):
                _image(tmp_path / part / cls / f"{i}.jpg", (5, 5), 100, mode="RGB")
    raw = load_image_folder(tmp_path)
    assert raw.x.shape == (6, 3, 5, 5) and raw.x_test.shape == (2, 3, 5, 5)
    assert raw.y_test.tolist() == [0, 1]
    assert 0.0 <= raw.x.min() and raw.x.max() <= 1.0


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no class subfolders"):
        load_image_folder(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(DataError, match="no images"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "bad.png").write_text("garbage")
    with pytest.raises(DataError, match="bad.png' cannot be read"):
        load_image_folder(tmp_path)
    with pytest.raises(DataError, match="is not an existing folder"):
        load_image_folder(tmp_path / "nope")


def test_csv_headerless_with_text_labels_and_string_index(tmp_path):
    p = _write(tmp_path / "t.csv", "1.5,2,cat\n3,4,dog\n")
    raw = load_csv(p)
    assert raw.x.tolist() == [[1.5, 2], [3, 4]] and raw.y.tolist() == ["cat", "dog"]
    numeric = _write(tmp_path / "n.csv", "1.5,2,0\n3,4,1\n")
    assert load_csv(numeric, target="0").y.tolist() == [1.5, 3.0]  # --set gives strings
