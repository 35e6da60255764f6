"""Upload a checked folder to ModelScope (modelscope's HubApi) or Hugging Face (huggingface_hub).

The token comes from where each client looks for it (``MODELSCOPE_API_TOKEN`` or ``modelscope
login``; ``HF_TOKEN`` or ``huggingface-cli login``) and is never printed: failures are reduced to
one line with any token masked.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from ...errors import InputError, PathLike

HUBS = ("modelscope", "huggingface")
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "MODELSCOPE_API_TOKEN")  # where the clients find tokens
HOSTS = {"modelscope": "the ModelScope hub", "huggingface": "the Hugging Face hub"}


class UploadError(InputError):
    """The upload did not happen; the message says why in one line."""


def upload(folder: PathLike, repo_id: str, hub: str = "modelscope", private: bool = False) -> str:
    """Create ``repo_id`` if missing, upload ``folder`` into it, and return the repository URL."""
    if hub not in HUBS:
        raise InputError(f"unknown hub {hub!r}; choose one of {HUBS}")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise InputError(f"--repo-id must be OWNER/NAME (got {repo_id!r})")
    message = f"Upload yoloxsp model ({Path(folder).name})"
    try:
        if hub == "huggingface":
            return _to_hugging_face(Path(folder), repo_id, private, message)
        return _to_modelscope(Path(folder), repo_id, private, message)
    except UploadError:
        raise
    except Exception as exc:  # the clients raise their own HTTP, auth and connection errors
        raise UploadError(_one_line(exc, hub)) from None


def _to_hugging_face(folder: Path, repo_id: str, private: bool, message: str) -> str:
    from huggingface_hub import HfApi, get_token

    if not get_token():
        raise UploadError("no Hugging Face token: run `huggingface-cli login` or set HF_TOKEN; nothing was uploaded")
    api = HfApi()
    url = api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=message)
    return str(url)


def _to_modelscope(folder: Path, repo_id: str, private: bool, message: str) -> str:
    from modelscope.hub.api import HubApi

    api = HubApi()
    if not api.repo_exists(repo_id, repo_type="model", re_raise=True):
        api.create_repo(repo_id, repo_type="model", visibility="private" if private else "public",
                        license="apache-2.0")
    api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=message)
    return f"{api.endpoint.rstrip('/')}/models/{repo_id}"


def _one_line(exc: BaseException, hub: str) -> str:
    if any(_is_connection_error(e) for e in _chain(exc)):
        reason = f"cannot reach {HOSTS[hub]} ({type(exc).__name__})"
    else:
        first_line = (str(exc).strip().splitlines() or [""])[0][:300]
        reason = f"upload to {HOSTS[hub]} failed: {type(exc).__name__}: {first_line}"
    for variable in TOKEN_VARIABLES:
        token = os.environ.get(variable)
        if token:
            reason = reason.replace(token, "***")
    return reason + "; nothing was uploaded"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_connection_error(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectionError", "ConnectError", "ConnectTimeout", "NewConnectionError",
                         "MaxRetryError", "NameResolutionError", "TimeoutException", "OfflineModeIsEnabled"})
