"""Publishing: the assembled model repository, its checks, the upload up to the network boundary,
and offline snapshot_download round trips through ModelScope's and Hugging Face's caches."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from yoloxsp.integrations.hub.assemble import PublishError, validate
from yoloxsp.integrations.hub.card import TABLE_BEGIN, TABLE_END, card_evals, load_card, write_card_evals

pytestmark = pytest.mark.modelscope

TOKEN = "hf_yoloxspTestTokenThatMustNeverBePrinted"
DETECT = """
import sys
from modelscope.pipelines import pipeline
from modelscope.utils.constant import Tasks
import yoloxsp
model_dir = {download}
assert model_dir.rstrip("/") == sys.argv[1].rstrip("/"), (model_dir, sys.argv[1])
out = pipeline(Tasks.image_object_detection, model=model_dir)(model_dir + "/res/sample/images/frame_000000.png")
print("spindles", len(out["boxes"]))
"""


def _closed_port() -> int:
    with socket.socket() as probe:  # bound then released: nothing listens there afterwards
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _yoloxsp(*args, env=None):
    return subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=1200)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """``yoloxsp publish`` of the bundled model to an unreachable Hugging Face: it assembles and
    checks the folder, then fails at the upload. Returns (folder, completed process)."""
    folder = tmp_path_factory.mktemp("publish") / "repo"
    env = dict(os.environ, HF_TOKEN=TOKEN, HF_ENDPOINT=f"http://127.0.0.1:{_closed_port()}")
    result = _yoloxsp("publish", "yoloxsp", "--repo-id", "owner/yoloxsp", "--hub", "huggingface", "--out", folder,
                      env=env)
    return folder, result


def test_publish_assembles_checks_and_fails_offline_in_one_line(published):
    folder, result = published
    assert "checked" in result.stdout and "card metrics reproduced" in result.stdout, result.stderr[-3000:]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        "error: cannot reach the Hugging Face hub (ConnectError); nothing was uploaded"
    assert TOKEN not in result.stdout + result.stderr
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {"configuration.json", "pytorch_model.pt", "model.onnx", "README.md", "app.py", "requirements.txt",
            "res/architecture.png", "res/real_frame_detections.png", "res/synthetic_vs_real.png",
            "res/sample/annotations.xml", "res/sample/images/frame_000000.png", "res/real/annotations.xml",
            "res/real/images/spombe_frame_000036.png"} <= names
    assert not any(TOKEN.encode() in (folder / name).read_bytes() for name in names)
    assert "plugins" not in json.loads((folder / "configuration.json").read_text())


def test_card_holds_measured_metrics_in_front_matter_and_table(published):
    folder, _ = published
    card = load_card(folder / "README.md")
    evals = {e.source: e for e in card_evals(card)}
    assert set(evals) == {"res/sample", "synthetic:validation", "res/real"}
    assert evals["synthetic:validation"].metrics["n_images"] == 96
    assert evals["res/real"].pixel_size == 0.16 and evals["res/real"].metrics["n_spindles"] == 6
    assert evals["synthetic:validation"].metrics["bbox_AP50"] >= 0.8  # every look; 0.958 measured
    table = card.text.split(TABLE_BEGIN)[1].split(TABLE_END)[0]
    assert f"| box AP50 | {evals['res/sample'].metrics['bbox_AP50']:.4f} |" in table


def _copy(published, tmp_path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(published[0], copy)
    return copy


def _only_the_sample(folder: Path, change=None) -> None:
    """Keep only the quick sample evaluation on the card, optionally altering one number."""
    sample = [e for e in card_evals(load_card(folder / "README.md")) if e.source == "res/sample"]
    if change:
        sample[0].metrics[change[0]] = change[1]
    write_card_evals(folder / "README.md", "yoloxsp-nano", sample)


def test_the_sample_card_validates_and_a_changed_number_is_refused(published, tmp_path):
    folder = _copy(published, tmp_path)
    _only_the_sample(folder)
    validate(folder)
    metric = card_evals(load_card(folder / "README.md"))[0].metrics
    _only_the_sample(folder, ("pole_F1@2px", round(metric["pole_F1@2px"] - 0.1, 4)))
    with pytest.raises(PublishError, match=r"card says pole_F1@2px = .* a fresh eval gives"):
        validate(folder)


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "pytorch_model.pt").unlink(), "missing pytorch_model.pt"),
    (lambda f: (f / "res" / "architecture.png").unlink(), "references res/architecture.png, which is not"),
    (lambda f: (f / "configuration.json").write_text(json.dumps(
        dict(json.loads((f / "configuration.json").read_text()), plugins=["yoloxsp"]))), "'plugins' key"),
    (lambda f: (f / "README.md").write_text("---\nlicense: [apache\n---\n# card\n"), "front matter does not parse"),
    (lambda f: (f / "app.py").write_text(f"TOKEN = '{TOKEN}'\n"), "app.py contains an access token"),
    (lambda f: write_card_evals(f / "README.md", "yoloxsp-nano", []), "records no evaluation"),
])
def test_a_broken_folder_is_refused_with_the_reason(published, tmp_path, monkeypatch, damage, message):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    folder = _copy(published, tmp_path)
    damage(folder)
    with pytest.raises(PublishError, match=message):
        validate(folder, remeasure=False)


def test_modelscope_upload_stops_at_the_unreachable_hub_in_one_line(published, tmp_path):
    script = ("from yoloxsp.integrations.hub.upload import upload\n"
              f"print(upload({str(published[0])!r}, 'owner/yoloxsp', 'modelscope'))\n")
    env = dict(os.environ, MODELSCOPE_API_TOKEN=TOKEN, MODELSCOPE_ENDPOINT=f"http://127.0.0.1:{_closed_port()}")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode != 0 and TOKEN not in result.stdout + result.stderr
    assert "UploadError: cannot reach the ModelScope hub" in result.stderr and "nothing was uploaded" in result.stderr


def test_modelscope_snapshot_download_round_trip_offline(published, tmp_path):
    cache = tmp_path / "modelscope"
    target = cache / "models" / "owner" / "yoloxsp"
    shutil.copytree(published[0], target)
    download = ("__import__('modelscope.hub.snapshot_download', fromlist=['x'])"
                ".snapshot_download('owner/yoloxsp', local_files_only=True)")
    env = dict(os.environ, MODELSCOPE_CACHE=str(cache), MODELSCOPE_ENDPOINT=f"http://127.0.0.1:{_closed_port()}")
    result = subprocess.run([sys.executable, "-c", DETECT.format(download=download), str(target)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split("spindles")[-1]) >= 1


def test_hugging_face_snapshot_download_round_trip_offline(published, tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "hub" / "models--owner--yoloxsp"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(published[0], snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    download = "__import__('huggingface_hub').snapshot_download('owner/yoloxsp')"
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", DETECT.format(download=download), str(snapshot)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split("spindles")[-1]) >= 1


def test_referenced_files_are_the_cards_local_links_not_code_urls_or_anchors():
    from huggingface_hub import ModelCard

    from yoloxsp.integrations.hub.card import referenced_files

    card = ModelCard("---\nlicense: mit\nwidgets:\n- examples:\n  - inputs:\n    - name: input\n      data: res/w.png\n"
                     "---\n![figure](res/a.png \"title\") [paper](https://arxiv.org/abs/2107.08430) [up](#top)\n"
                     "```python\nmodel = load()[\"x\"](res/not_a_link.png)\n```\n<img src=\"res/b.png\" width=3>\n")
    assert referenced_files(card) == ["res/a.png", "res/b.png", "res/w.png"]


def test_card_command_writes_measured_metrics_into_a_card(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: apache-2.0\nmodel_name: mine\n---\n# My model\n\n"
                    f"{TABLE_BEGIN}\nstale table\n{TABLE_END}\n\nafter the table\n")
    result = _yoloxsp("card", "--model", "yoloxsp", "--card", card, "--eval", "the sample=res/sample@0.13")
    assert result.returncode == 0, result.stderr[-3000:]
    written = load_card(card, required=())
    [sample] = card_evals(written)
    assert (sample.name, sample.source, sample.pixel_size) == ("the sample", "res/sample", 0.13)
    assert sample.metrics["n_images"] == 8 and sample.metrics["bbox_AP50"] >= 0.97
    assert "stale table" not in written.text and "after the table" in written.text
    assert f"| box AP50 | {sample.metrics['bbox_AP50']:.4f} |" in result.stdout
    bad = _yoloxsp("card", "--card", card, "--eval", "no source given")
    assert bad.returncode == 2 and "NAME=SOURCE[@PIXEL_SIZE]" in bad.stderr
