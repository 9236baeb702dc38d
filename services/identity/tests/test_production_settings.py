"""Production settings: what the deployment sets is enough, and the dev-only values are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.identity.settings import DEV_KEY_ENCRYPTION_KEY, IdentitySettings

ALIYUN = {
    "aliyun_access_key_id": "LTAI5t000000",
    "aliyun_access_key_secret": "s" * 30,
    "aliyun_sms_sign_name": "某某县人民政府",
    "aliyun_sms_template_code": "SMS_123456789",
}
PRODUCTION = {"environment": "production", "key_encryption_key": "k" * 48, "sms_sender": "aliyun", **ALIYUN}


def test_production_needs_no_jwt_settings_of_its_own():
    # The base class refuses the dev HS256 secret; identity never verifies with it (its own key ring does).
    settings = IdentitySettings(**PRODUCTION)
    assert settings.environment == "production" and settings.jwt_jwks_url is None


@pytest.mark.parametrize(
    "override",
    [
        {"key_encryption_key": DEV_KEY_ENCRYPTION_KEY},
        {"key_encryption_key": "CHANGE-ME"},  # the deploy templates' placeholder left in
        {"sms_sender": "dev_outbox"},
        {"dev_tokens": True},
    ],
)
def test_production_refuses_dev_only_values(override):
    with pytest.raises(ValidationError):
        IdentitySettings(**(PRODUCTION | override))


@pytest.mark.parametrize("missing", sorted(ALIYUN))
def test_production_with_aliyun_sms_needs_every_aliyun_setting(missing):
    with pytest.raises(ValidationError, match=f"IDENTITY_{missing.upper()}"):
        IdentitySettings(**(PRODUCTION | {missing: ""}))
