import pytest

from trainwise.checkpoint.fsync import fsync_dir, fsync_file


def test_fsync_file_and_dir_flush_existing_paths(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    fsync_file(f)
    fsync_dir(tmp_path)
    fsync_dir(str(tmp_path))  # str paths work too
    assert f.read_bytes() == b"abc"


def test_missing_paths_raise(tmp_path):
    with pytest.raises(FileNotFoundError):
        fsync_file(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        fsync_dir(tmp_path / "missing")
