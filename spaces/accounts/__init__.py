"""Accounts: registration, login sessions, passwords, invitations, API tokens, rate limits."""
