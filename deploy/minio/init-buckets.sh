#!/bin/sh
# Attachment buckets and one MinIO user per service, allowed into its own bucket only.
# Idempotent: run on every `compose up`.
set -eu

mc alias set local "${MINIO_URL:-http://minio:9000}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"

grant() {  # service bucket access_key secret_key
  mc mb --ignore-existing "local/$2"
  mc anonymous set none "local/$2"
  cat > "/tmp/$1-policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::$2/*"]},
  {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": ["arn:aws:s3:::$2"]}
]}
JSON
  mc admin policy create local "$1-attachments" "/tmp/$1-policy.json"
  mc admin user add local "$3" "$4"
  mc admin policy attach local "$1-attachments" --user "$3" 2>/dev/null || true  # already attached on a re-run
}

grant catalog "$CATALOG_BUCKET" "$CATALOG_S3_ACCESS_KEY" "$CATALOG_S3_SECRET_KEY"
grant requests "$REQUESTS_BUCKET" "$REQUESTS_S3_ACCESS_KEY" "$REQUESTS_S3_SECRET_KEY"
echo "buckets ready"
