"""Re-fetch GraphiQL's vendored assets from the npm registry and check (or write) them.

    python scripts/fetch_graphiql.py          # check: registry == manifest == vendored files
    python scripts/fetch_graphiql.py --write  # copy the files in, rewrite manifest and SOURCES.md

Tarballs are fetched with `npm pack`, which checks each one against the registry's integrity
hash; the script then compares that hash with the one the manifest pinned. To move to another
version, edit the version in plugin/ultiroam_graphql/graphiql/static/manifest.json, run with
--write, then the tests (tests/test_graphiql.py, tests/test_browser.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ultiroam_graphql.graphiql.vendor import MANIFEST, SOURCES, STATIC_DIR, sha256_of
from ultiroam_graphql.graphiql.vendor import sources_markdown as render_sources


def npm_pack(spec: str, destination: Path) -> tuple[Path, str]:
    """The package's tarball, downloaded by npm, and its registry integrity hash."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed: it fetches the tarballs from the registry")
    completed = subprocess.run(
        [npm, "pack", spec, "--json", "--pack-destination", str(destination)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed: {completed.stderr.strip()}")
    (result,) = json.loads(completed.stdout)
    return destination / result["filename"], result["integrity"]


def read_member(tarball: Path, path: str) -> bytes:
    """One file of an npm tarball, named below its top folder (usually ``package/``)."""
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.partition("/")[2] == path:
                handle = archive.extractfile(member)
                assert handle is not None
                return handle.read()
    raise SystemExit(f"{tarball.name} has no file {path}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write files, manifest, SOURCES.md")
    args = parser.parse_args(argv)
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as tmp:
        for package in manifest["packages"]:
            spec = f"{package['name']}@{package['version']}"
            tarball, integrity = npm_pack(spec, Path(tmp))
            if args.write:
                package["integrity"] = integrity
            elif integrity != package["integrity"]:
                problems.append(f"{spec}: registry integrity {integrity} is not the pinned one")
            for entry in package["files"]:
                data = read_member(tarball, entry["path"])
                digest = sha256_of(data)
                target = STATIC_DIR / entry["file"]
                if args.write:
                    target.write_bytes(data)
                    entry["sha256"] = digest
                    continue
                if digest != entry["sha256"]:
                    problems.append(f"{spec} {entry['path']}: registry sha256 {digest} differs")
                if not target.is_file() or sha256_of(target.read_bytes()) != digest:
                    problems.append(f"{entry['file']}: differs from {spec} {entry['path']}")
    if args.write:
        MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        SOURCES.write_text(render_sources(manifest), encoding="utf-8")
        print(f"wrote {sum(len(p['files']) for p in manifest['packages'])} files to {STATIC_DIR}")
        return 0
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print("every vendored GraphiQL asset matches the npm registry")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
