"""Validation: schema checks, YAML traps and semantic rules, returned as diagnostics."""
