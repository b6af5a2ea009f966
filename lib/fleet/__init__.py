"""The fleet: many CRM databases, each a complete install of the migration, seen and rolled out
from one console (docs/fleet.md)."""
