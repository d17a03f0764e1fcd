"""Cleaning rules (who is a valid respondent) and the contract of the cleaned table."""
