"""tools/looks_report.py: the run bookkeeping of leave-one-out (which checkpoint an interrupted run
resumes from, which folders it may reuse) and the per-movie scores of the crop movies."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def looks_report(tool):
    return tool("looks_report")


SETTINGS = {"config": "yoloxsp_nano.json", "epochs": 10, "frames": 1000, "seed": 0, "exclude": ("dense-lawn",)}


def test_resume_picks_the_newest_epoch_checkpoint_only(looks_report, tmp_path):
    assert looks_report.last_checkpoint(tmp_path) is None
    for name in ("epoch_2.pth", "epoch_2_trainer_state.pth", "epoch_10.pth", "epoch_10_trainer_state.pth",
                 "epoch_11.partial-x1y2.pth", "best_epoch12_pole_F1@2px0.9.pth"):
        (tmp_path / name).write_bytes(b"")
    assert looks_report.last_checkpoint(tmp_path) == tmp_path / "epoch_10.pth"  # numeric, not name order


def test_a_run_is_reused_only_when_finished_with_the_same_settings(looks_report, tmp_path):
    work = tmp_path / "dense-lawn"
    assert looks_report.claim_run(work, SETTINGS) is False  # new: recorded, to be trained
    assert looks_report.claim_run(work, SETTINGS) is False  # interrupted: to be resumed
    record = json.loads((work / "run.json").read_text())
    looks_report.write_json(work / "run.json", {**record, "finished": True})
    assert looks_report.claim_run(work, SETTINGS) is True
    with pytest.raises(SystemExit, match="dense-lawn.*remove the folder"):
        looks_report.claim_run(work, {**SETTINGS, "epochs": 12})


def test_crop_movies_are_scored_per_movie_with_the_bundled_model(looks_report):
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend

    with looks_report.crop_movies(n_movies=2, frames=16) as movies:
        rows = looks_report.score_crop_movies(Predictor(open_backend("yoloxsp")), movies)
    assert list(rows) == ["crop-20100000", "crop-20100002"]  # 20100001 is a full field, not a crop
    for row in rows.values():
        assert row["spindle frames"] > 0 and 0 <= row["length err"] < 0.1
        assert row["found in frames"] >= 0.8  # the bundled model finds the one spindle in most frames
        assert row["faint frames"] == 0 and row["found where visible"] == row["found in frames"]
        assert row["extra"] == int(row["extra"]) >= 0


def test_a_crop_movie_without_any_detection_scores_zero_found_and_no_extra(looks_report, capsys):
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend

    blind = Predictor(open_backend("yoloxsp")).at_score_threshold(1.01)
    with looks_report.crop_movies(n_movies=1, frames=8) as movies:
        rows = looks_report.score_crop_movies(blind, movies)
        looks_report.print_crop_report(blind, movies)
    assert [(row["found in frames"], row["extra"]) for row in rows.values()] == [(0.0, 0)]
    assert "0.000 (worst); of the frames where it stands >= 4 noise sigma" in capsys.readouterr().out


def test_a_crop_movie_restricted_to_visible_frames_keeps_their_records_and_pixel_sizes(looks_report):
    from yoloxsp.data.records import FrameRecord
    from yoloxsp.metrics.sources import EvalSet

    records = [FrameRecord(Path(f"{index}.png"), 8, 8, index) for index in range(4)]
    movie = looks_report.CropMovie(EvalSet(records, [0.1, 0.2, 0.3, 0.4]), visible={1, 3})
    kept = movie.visible_only()
    assert [r.frame for r in kept.records] == [1, 3] and kept.pixel_sizes == [0.2, 0.4]
    assert looks_report.CropMovie(EvalSet(records, None), {0}).visible_only().pixel_sizes is None


def test_the_generator_fingerprint_changes_with_a_look(looks_report, monkeypatch):
    from yoloxsp.synth import looks

    before = looks_report.generator_fingerprint()
    assert looks_report.generator_fingerprint() == before
    monkeypatch.setitem(looks.LOOKS, "dense-lawn", looks.LOOKS["wells-avi"])  # a look redrawn
    assert looks_report.generator_fingerprint() != before
