"""Configuration: one source of defaults, files and overrides on top, clear errors."""

import pytest
import yaml

from rppg.config import Config, load_config, to_dict
from rppg.errors import RppgError
from tests.conftest import REPO


def test_default_yaml_is_the_dataclass_defaults():
    on_disk = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    assert on_disk == to_dict(Config())


def test_file_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("method: chrom\nsignal:\n  window_s: 8\n  band_hz: [0.8, 3.0]\n")
    cfg = load_config(path, ["signal.hop_s=0.5", "face.detector=haar"])
    assert cfg.method == "chrom"
    assert cfg.signal.window_s == 8.0 and isinstance(cfg.signal.window_s, float)
    assert cfg.signal.band_hz == (0.8, 3.0)
    assert cfg.signal.hop_s == 0.5
    assert cfg.face.detector == "haar"
    assert cfg.face.crop_size == Config().face.crop_size  # untouched defaults stay


@pytest.mark.parametrize(
    "text, message",
    [
        ("signal:\n  windw_s: 8\n", "unknown setting 'signal.windw_s'"),
        ("signal:\n  window_s: long\n", "'signal.window_s' must be float"),
        ("face: 3\n", "'face' must be a mapping"),
        ("a: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_config_names_file_and_problem(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RppgError) as err:
        load_config(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_bad_override_is_rejected():
    with pytest.raises(RppgError, match="unknown setting 'signal.nope'"):
        load_config(None, ["signal.nope=1"])
    with pytest.raises(RppgError, match="section.key=value"):
        load_config(None, ["signal.window_s"])


def test_a_list_setting_takes_a_list_and_refuses_a_number(cli, tmp_path):
    from rppg.config import load_config

    cfg = load_config(None, ["train.teacher_videos=[a, b]"])
    assert cfg.train.teacher_videos == ("a", "b")
    run = cli("config", "--set", "train.teacher_videos=3")
    assert run.returncode == 2 and "train.teacher_videos=3' must be a list" in run.stderr
