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
# Created by every relay and by deploy/kafka/create-topics.sh, read and written by nobody: when it is
# gone, the broker has lost its topics (a development broker restarted, a cluster rebuilt).
BROKER_MARKER = "platform.broker-marker"
