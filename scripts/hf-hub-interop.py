"""huggingface_hub itself against the cache saev-tfjs writes, and the reverse (test/hub/hf-interop.test.ts).

  python3 scripts/hf-hub-interop.py setup <venv-dir>          # a venv with huggingface_hub (pinned below)
  <venv>/bin/python scripts/hf-hub-interop.py read REPO REV FILE...      # offline: hf_hub_download, cache scan
  <venv>/bin/python scripts/hf-hub-interop.py download REPO REV FILE...  # from HF_ENDPOINT into HF_HUB_CACHE

`read` and `download` print one JSON document: for each FILE the path huggingface_hub returns (or
"no_exist" when the cache records that the repository lacks it) and the sha256 of its bytes, plus what
`scan_cache_dir` reports for the repository (revisions, refs, files, size, warnings). The environment
(HF_HUB_CACHE, HF_HUB_OFFLINE, HF_ENDPOINT) is the caller's.
"""

import hashlib
import json
import os
import subprocess
import sys
import time

HF_HUB = "huggingface_hub==2.4.0"


def setup(venv: str) -> None:
    start = time.time()
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(python) and subprocess.run([python, "-c", "import huggingface_hub"], capture_output=True).returncode == 0:
        print(f"hf-hub-interop: {venv} already has huggingface_hub", file=sys.stderr)
        return
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", HF_HUB], check=True)
    print(f"hf-hub-interop: {venv} ready in {time.time() - start:.0f} s", file=sys.stderr)


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def report(repo: str, files: dict) -> None:
    from huggingface_hub import scan_cache_dir

    info = scan_cache_dir()
    repos = [
        {
            "repo_id": r.repo_id,
            "size_on_disk": r.size_on_disk,
            "nb_files": r.nb_files,
            "revisions": sorted(
                ({"commit_hash": rev.commit_hash, "refs": sorted(rev.refs), "files": sorted(f.file_name for f in rev.files)} for rev in r.revisions),
                key=lambda rev: rev["commit_hash"],
            ),
        }
        for r in info.repos
        if r.repo_id == repo
    ]
    print(json.dumps({"files": files, "repos": repos, "warnings": [str(w) for w in info.warnings]}))


def read(repo: str, revision: str, names: list) -> None:
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub.file_download import _CACHED_NO_EXIST

    files = {}
    for name in names:
        cached = try_to_load_from_cache(repo, name, revision=revision)
        if cached is _CACHED_NO_EXIST:
            files[name] = {"path": "no_exist"}
            continue
        path = hf_hub_download(repo, name, revision=revision)
        files[name] = {"path": path, "try_to_load_from_cache": cached, "sha256": sha256(path)}
    report(repo, files)


def download(repo: str, revision: str, names: list) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    files = {}
    for name in names:
        try:
            path = hf_hub_download(repo, name, revision=revision)
            files[name] = {"path": path, "sha256": sha256(path)}
        except EntryNotFoundError:
            files[name] = {"path": "no_exist"}
    report(repo, files)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "setup":
        setup(args[0])
    elif command == "read":
        read(args[0], args[1], args[2:])
    elif command == "download":
        download(args[0], args[1], args[2:])
    else:
        sys.exit(f"hf-hub-interop: unknown command {command}; use setup, read or download")
