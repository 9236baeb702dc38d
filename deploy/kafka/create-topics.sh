#!/usr/bin/env bash
# Create every topic the services use, with explicit partitions and replication (services run
# with *_KAFKA_ENSURE_TOPICS=false and the broker with auto-create off, so nothing else does).
# Idempotent: existing topics are left as they are. Used by compose (kafka-topics) and by the
# Kubernetes Job (deploy/k8s/kafka-topics.yaml holds a copy; tests/deploy checks they match).
set -euo pipefail

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PREFIX="${KAFKA_TOPIC_PREFIX:-}"          # the services' *_KAFKA_TOPIC_PREFIX, if any
PARTITIONS="${KAFKA_PARTITIONS:-6}"       # upper bound on consumer replicas per group
REPLICATION="${KAFKA_REPLICATION:-1}"     # 3 on a three-broker cluster
MIN_ISR="${KAFKA_MIN_INSYNC_REPLICAS:-1}" # 2 on a three-broker cluster (acks=all then survives one broker down)
DLQ_PARTITIONS="${KAFKA_DLQ_PARTITIONS:-1}"
TOPICS_BIN="${KAFKA_BIN:-/opt/kafka/bin}/kafka-topics.sh"

# shared/contracts/topics.py: keyed by aggregate id; kept forever, because a new consumer group
# (a new service, a rebuilt replica) starts from the earliest offset and must see every event.
DOMAIN_TOPICS="catalog.agencies catalog.documents requests.requests notify.deliveries identity.accounts identity.officers platform.operations platform.broker-marker"
# One dead-letter topic per consumer group: dlq.<service>.<consumer> (shared/events.py).
DLQ_TOPICS="dlq.catalog.art44-suggestions dlq.requests.agency-replica dlq.notify.deliveries dlq.notify.webhooks dlq.notify.agency-replica dlq.audit.event-log dlq.identity.agencies dlq.requests.accounts dlq.notify.accounts dlq.requests.officer-replica dlq.notify.officer-replica"

create() {
  "$TOPICS_BIN" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$PREFIX$1" \
    --partitions "$2" --replication-factor "$REPLICATION" \
    --config min.insync.replicas="$MIN_ISR" --config retention.ms=-1
}

for topic in $DOMAIN_TOPICS; do create "$topic" "$PARTITIONS"; done
for topic in $DLQ_TOPICS; do create "$topic" "$DLQ_PARTITIONS"; done
"$TOPICS_BIN" --bootstrap-server "$BOOTSTRAP" --describe --topics-with-overrides | grep -v '^\s*$' || true
echo "topics ready"
