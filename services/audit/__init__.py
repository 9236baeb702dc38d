"""Audit service: tamper-evident record of every event, statistics and the annual report."""
