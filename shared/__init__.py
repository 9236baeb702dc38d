"""Plumbing shared by every service: settings, database, events, outbox, inbox, auth, errors, ops."""
