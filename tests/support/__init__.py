"""Helpers shared by the tests: nothing here is a test, and no test module is imported from here."""
