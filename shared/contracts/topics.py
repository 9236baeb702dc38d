"""Logical topic names (a deployment prefix is prepended at run time)."""

CATALOG_AGENCIES = "catalog.agencies"
CATALOG_DOCUMENTS = "catalog.documents"
REQUESTS_REQUESTS = "requests.requests"
NOTIFY_DELIVERIES = "notify.deliveries"

ALL_DOMAIN_TOPICS = [CATALOG_AGENCIES, CATALOG_DOCUMENTS, REQUESTS_REQUESTS, NOTIFY_DELIVERIES]
IDENTITY_ACCOUNTS = "identity.accounts"
IDENTITY_OFFICERS = "identity.officers"
# Operators' and the relays' own acts on the event flow (replays, resets): read by the audit log only.
PLATFORM_OPERATIONS = "platform.operations"
