"""Catalog service: agencies, the disclosure guide and catalog (主动公开)."""
