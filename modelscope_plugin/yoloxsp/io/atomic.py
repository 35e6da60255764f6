"""Write a file or folder under a temporary name beside it, then rename it into place.

A crash, a kill or Ctrl-C mid-write then never leaves half a file under the real name, and an
earlier file of that name stays intact until the new one is complete. The temporary name is
unique (``<stem>.partial-<host>-<pid>-<random><suffix>``), so two processes writing the same
target do not write into each other's file, and it keeps the target's suffix, so writers that pick
the format from the name (matplotlib, OpenCV, tifffile) write the right one. Nothing is created at
the temporary path: the writer creates the file (with the usual permissions) or the folder.

A writer killed outright (SIGKILL, the machine's out-of-memory killer) cannot remove its
temporary file; the next successful write of the same target does, once no process of that
number runs. A process number means something only within one machine's boot and process
namespace (a shared network folder is written from several machines, containers share
hostnames), so ``<host>`` digests all three, and only partials with this process's digest, owned
by this user, are ever removed; elsewhere (no ``/proc``) nothing is. The clean-up is best effort:
a partial it cannot remove stays, and the write it follows has succeeded all the same.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import uuid
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from ..errors import PathLike

TEMPORARY_TAG = ".partial-"  # in every temporary name


@functools.lru_cache(maxsize=None)
def _namespace_tag() -> Optional[str]:
    """A digest of this host's name, boot and process namespace: within one, a process number
    names one process. None where the system does not say (no ``/proc``). A digest, because a
    host name may hold the ``-`` that separates the parts of a temporary name."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{zlib.crc32(f'{socket.gethostname()}|{boot}|{namespace}'.encode()):08x}"


def _is_running(pid: int) -> bool:
    """Whether a process numbered ``pid`` runs on this machine (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _remove(path: Path) -> None:
    """Remove a file, or as much of a folder as can be (a link is removed, not followed); nothing
    there is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class AtomicPath:
    """A temporary path for ``target``: write there, then :meth:`commit` or :meth:`discard`.

    For writers that decide late whether to publish (an overlay kept after Ctrl-C) or publish
    early and keep writing (a table appended to after its first frame, through an open handle,
    which follows the rename on POSIX). Otherwise use :func:`atomic_path`.
    """

    def __init__(self, target: PathLike):
        self.target = Path(target)
        self.path = self.target.with_name(
            f"{self.target.stem}{TEMPORARY_TAG}{_namespace_tag() or 'unknown'}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            f"{self.target.suffix}")

    def commit(self) -> Path:
        """Put what was written at :attr:`path` under the target's name, replacing what was
        there (a folder too: the old one is moved aside first and deleted after); returns the target."""
        if self.path.is_dir() and self.target.is_dir() and not self.target.is_symlink():
            retired = AtomicPath(self.target).path
            os.replace(self.target, retired)
            try:
                os.replace(self.path, self.target)
            except BaseException:
                os.replace(retired, self.target)
                raise
            shutil.rmtree(retired)
        else:
            os.replace(self.path, self.target)
        try:
            remove_abandoned(self.target)
        except OSError:  # a folder that cannot be listed: the write itself is done
            pass
        return self.target

    def discard(self) -> None:
        """Remove whatever was written at :attr:`path` (nothing there is fine)."""
        _remove(self.path)


def remove_abandoned(target: PathLike) -> None:
    """Remove the temporary files and folders of ``target`` left by this user's writers of this
    host and process namespace that no longer run (killed before they could clean up); one that
    cannot be removed is left."""
    target = Path(target)
    tag = _namespace_tag()
    if tag is None:
        return
    own = re.compile(re.escape(f"{target.stem}{TEMPORARY_TAG}{tag}-") + r"(\d{1,9})-[0-9a-f]{8}"
                     + re.escape(target.suffix))
    for path in target.parent.iterdir():
        found = own.fullmatch(path.name)
        if not found or int(found.group(1)) == os.getpid() or _is_running(int(found.group(1))):
            continue
        try:
            if path.lstat().st_uid == os.getuid():
                _remove(path)
        except OSError:
            continue


@contextmanager
def atomic_path(target: PathLike) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success it replaces ``target``, on any
    exception (Ctrl-C included) it is removed and ``target`` is left as it was.

    >>> with atomic_path(out / "tracks.csv") as partial:  # doctest: +SKIP
    ...     table.to_csv(partial)
    """
    staged = AtomicPath(target)
    try:
        yield staged.path
    except BaseException:
        staged.discard()
        raise
    try:
        staged.commit()
    except BaseException:
        staged.discard()
        raise

