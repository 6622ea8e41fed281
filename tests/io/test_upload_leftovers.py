"""Upload folders of killed processes are removed by the next process (issue 12 §5)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from optimizer.io import upload


def test_the_first_upload_removes_the_folders_of_killed_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    killed = tmp_path / f"{upload.UPLOADS_PREFIX}{gone.pid}-abc"  # its owner was SIGKILLed
    (killed / "upload-1").mkdir(parents=True)
    (killed / "upload-1" / "scenario.yaml").write_text("name: x\\n")
    running = tmp_path / f"{upload.UPLOADS_PREFIX}{os.getppid()}-def"  # another live app
    running.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(upload, "_ROOT", [])
    folder = upload._fresh_folder()
    root = folder.parent
    assert root.name.startswith(f"{upload.UPLOADS_PREFIX}{os.getpid()}-")
    assert sorted(tmp_path.iterdir()) == sorted([running, root])
