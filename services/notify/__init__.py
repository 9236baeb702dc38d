"""Notify service: messages to applicants, third parties and officers over every channel."""
