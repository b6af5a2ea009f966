"""The two kinds of error that leave lib/ for a person, each with one place that shows it.

- ActionError: an action was not done, for a reason the person asking can act on. The message
  says why. Pages show it beside the control (ui.action_errors_shown); the CLI prints it and
  exits 1.
- SetupError: the configuration or the database needs a person (unreachable, not migrated, a
  malformed setting). Pages show it and wait for the database to come back
  (ui.database_problems_shown); the CLI prints it and exits 2.

Anything else is a bug, and keeps its traceback.
"""


class ActionError(Exception):
    """An action that was not done; the message says why. `outcome` is how the audit log records
    the attempt: it failed, or it was refused before it began."""

    outcome = "failed"


class Refused(ActionError):
    """The actor may not do this."""

    outcome = "refused"


class Busy(ActionError):
    """Something else holds what the action needs (a running backfill, a table lock, aliases
    changing under a write); trying again later may work."""


class BadInput(ActionError, ValueError):
    """A value given to the action that it cannot use; the message names it."""


class NothingToDo(ActionError):
    """The action has nothing to act on (no backfill running to cancel)."""

    outcome = "refused"


class SetupError(Exception):
    """Configuration or database state that a person must fix; the message says how."""


class SettingError(SetupError):
    """A setting that cannot be used as written: nothing changes until a person fixes it."""
