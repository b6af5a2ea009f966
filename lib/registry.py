"""The tables whose ownership moves from owner_username to owner_user_id.

Code that works per table loops over this tuple; SQL gets the names quoted as identifiers.
"""

MIGRATED_TABLES = ("crm_accounts", "crm_opportunities")
