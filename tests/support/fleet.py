"""Fleet files for tests: members given as (name, url, wave)."""

from pathlib import Path

# A member no server answers for: a socket folder that does not exist.
NOWHERE = "postgresql://nobody@/crm?host=/nonexistent-socket-dir"


def fleet_file(folder: Path, *members: tuple[str, str, int]) -> Path:
    """A fleet file in `folder`: each member five lines long, its [[member]] at line 1, 6, 11, …"""
    path = folder / "fleet.toml"
    path.write_text(
        "".join(
            f'[[member]]\nname = "{name}"\nurl = "{url}"\nwave = {wave}\n\n' for name, url, wave in members
        )
    )
    return path
