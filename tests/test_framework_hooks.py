"""yoloxsp's hooks into ModelScope degrade, never break: a ModelScope that renamed what a hook
relies on still imports, and a warning says what is unavailable and what to do instead.

Each case runs in a fresh interpreter, with its own post-import hook on ``modelscope``
registered before ``import yoloxsp``: wrapt runs hooks in registration order, so the simulated
ModelScope change is in place when yoloxsp's hook runs, exactly as if ModelScope had shipped it.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.modelscope

REPORT = """
import json, warnings
warnings.simplefilter("always")
import wrapt

@wrapt.when_imported("modelscope")
def simulate(_module):
{change}

with warnings.catch_warnings(record=True) as caught:
{imports}
from modelscope.pipelines import builder
from modelscope.models.builder import MODELS
from modelscope.utils.constant import Tasks
print(json.dumps({{
    "warnings": [str(w.message) for w in caught if str(w.message).startswith("yoloxsp")],
    "wrapped": sorted(n for n in dir(builder) if getattr(getattr(builder, n), "yoloxsp_resolves_bundled_name", 0)),
    "model_registered": MODELS.get("yoloxsp", group_key=Tasks.image_object_detection) is not None,
}}))
"""


def _run(change: str, imports: str = "import yoloxsp\nimport modelscope") -> dict:
    script = REPORT.format(change=textwrap.indent(textwrap.dedent(change), "    "),
                           imports=textwrap.indent(imports, "    "))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_modelscope_as_it_is_every_hook_applies_silently():
    report = _run("pass")
    assert report == {"warnings": [], "wrapped": ["is_official_hub_path", "normalize_model_input", "read_config"],
                      "model_registered": True}


def test_importing_an_integration_module_first_still_installs_every_hook():
    # That module's import is what loads modelscope, so the hook fires while the integration
    # package is still initialising.
    report = _run("pass", imports="import yoloxsp.integrations.modelscope.dataset")
    assert report == {"warnings": [], "wrapped": ["is_official_hub_path", "normalize_model_input", "read_config"],
                      "model_registered": True}


def test_a_renamed_builder_function_leaves_import_modelscope_working_with_a_clear_warning():
    report = _run("""
        from modelscope.pipelines import builder
        builder.read_model_config = builder.read_config  # ModelScope renames read_config
        del builder.read_config
    """)
    assert report["wrapped"] == []  # all or nothing: no half-wrapped builder
    assert report["model_registered"]  # the other registrations stand
    (warning,) = report["warnings"]
    assert "read_config" in warning and "model='yoloxsp'" in warning and "default_model_dir()" in warning


def test_a_moved_registry_leaves_import_modelscope_working_with_a_clear_warning():
    report = _run("""
        import modelscope.pipelines.builder
        del modelscope.pipelines.builder.PIPELINES  # ModelScope moves its pipeline registry
    """)
    (warning,) = report["warnings"]
    assert "could not register with ModelScope" in warning and "PIPELINES" in warning
    assert "pipeline(..., model='yoloxsp')" in warning and report["wrapped"] == []


def test_a_moved_lazy_import_index_costs_only_the_trainer_name():
    report = _run("""
        from modelscope.utils import ast_utils
        del ast_utils.MODULE_KEY  # ModelScope renames a key of its lazy-import index
    """)
    (warning,) = report["warnings"]
    assert "build_trainer('easycv')" in warning and "import yoloxsp.integrations.easycv" in warning
    assert report["wrapped"] == ["is_official_hub_path", "normalize_model_input", "read_config"]
    assert report["model_registered"]
