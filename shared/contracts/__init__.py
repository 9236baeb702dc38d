"""Event contracts between services: topics and payload schemas. Evolve additively."""
