"""The demo CRM, with the defects of a real one; the benchmark's dataset uses the same generator."""
