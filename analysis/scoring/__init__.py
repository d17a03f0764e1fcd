"""Scoring: item values, scales and indicators per respondent."""
