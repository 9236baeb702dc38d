"""SMS through 阿里云短信服务 (Dysmsapi), action SendSms (API 2017-05-25), signed with V3.

The request is a POST whose query holds the SendSms parameters, with an empty body; the action,
version, time and nonce travel as headers, signed with ACS3-HMAC-SHA256 (`shared.aliyun`: the
RPC signature v1.0 is retired). The answer is JSON: ``{"Code": "OK", "BizId": ...}`` on success,
``{"Code": "isv.XXX", "Message": ...}`` otherwise.

Classification of a refusal:

* codes that say *this message* can never be sent as it is (bad number, template or
  signature not approved, missing template variables, blocked keyword...) are permanent;
* throttling, an account out of credit (``isv.AMOUNT_NOT_ENOUGH``: retried once topped up),
  provider-side errors, HTTP 5xx and network errors are transient;
* an unknown code is transient too: retries are bounded by the dispatcher, and wrongly
  dropping a notice to an applicant is worse than retrying it a few times.
"""

from __future__ import annotations

import json

import httpx

from services.notify.adapters.channels import HttpChannel, OutgoingMessage, SendResult
from shared.aliyun import signed_rpc_request

DEFAULT_BASE_URL = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"

# Documented SendSms error codes that retrying the same message cannot fix.
PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",  # not a valid mobile number
        "isv.MOBILE_COUNT_OVER_LIMIT",  # too many numbers in one request
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",  # international template/sign used for a domestic number
        "isv.TEMPLATE_MISSING_PARAMETERS",  # template variables missing
        "isv.TEMPLATE_PARAMS_ILLEGAL",  # template variable values not allowed
        "isv.INVALID_JSON_PARAM",  # TemplateParam is not valid JSON
        "isv.INVALID_PARAMETERS",
        "isv.PARAM_LENGTH_LIMIT",  # a variable value is too long
        "isv.PARAM_NOT_SUPPORT_URL",  # variables may not carry links
        "isv.SMS_TEMPLATE_ILLEGAL",  # template missing / not approved
        "isv.SMS_SIGNATURE_ILLEGAL",  # SignName missing / not approved
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",  # sign not allowed for this template type
        "isv.SMS_CONTENT_ILLEGAL",  # content rejected
        "isv.BLACK_KEY_CONTROL_LIMIT",  # content hits a blocked keyword
        "isv.EXTEND_CODE_ERROR",
        "isv.SMS_TEST_SIGN_TEMPLATE_LIMIT",
        "isv.SMS_TEST_NUMBER_LIMIT",
        "isv.SMS_TEST_TEMPLATE_LIMIT",
    }
)

# Documented codes that are worth retrying (listed for readers; unknown codes are transient too).
TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number throttling (per minute / hour)
        "isv.DAY_LIMIT_CONTROL",  # per-number daily limit reached: works again tomorrow
        "isv.AMOUNT_NOT_ENOUGH",  # account out of credit: works again after a top-up
        "isv.OUT_OF_SERVICE",  # account suspended for arrears
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",  # a fresh nonce on the retry
        "InvalidTimeStamp.Expired",  # clock skew; a fresh timestamp on the retry
    }
)


class AliyunSms(HttpChannel):
    """A `Channel` that sends approved SMS templates through Aliyun Dysmsapi SendSms."""

    name = "sms"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._access_key_id = access_key_id
        self._access_key_secret = access_key_secret
        self._sign_name = sign_name
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        super().__init__(timeout, client)

    def build_params(self, message: OutgoingMessage) -> dict[str, str]:
        """The SendSms parameters of one message (they go in the query string, signed with the headers)."""
        if not message.template_id:
            raise ValueError("an SMS needs template_id (the approved Aliyun TemplateCode)")
        return {
            "PhoneNumbers": message.to.strip(),
            "SignName": self._sign_name,
            "TemplateCode": message.template_id,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.notification_id,
        }

    def signed_request(self, message: OutgoingMessage) -> tuple[str, dict[str, str]]:
        """(URL, headers) of the SendSms POST for one message: a fresh time and nonce each call."""
        return signed_rpc_request(
            self._base_url,
            action="SendSms",
            version=API_VERSION,
            params=self.build_params(message),
            access_key_id=self._access_key_id,
            access_key_secret=self._access_key_secret,
        )

    async def send(self, message: OutgoingMessage) -> SendResult:
        if not message.template_id:
            return SendResult.failed("no template_id: SendSms needs an approved TemplateCode", permanent=True)
        url, headers = self.signed_request(message)
        try:
            response = await self._http().post(url, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult.failed(f"network: {type(exc).__name__}: {exc}", permanent=False)
        return self._classify(response)

    @staticmethod
    def _classify(response: httpx.Response) -> SendResult:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "Code" not in body:
            # Gateways in front of Aliyun answer 5xx (or garbage) without the JSON envelope.
            return SendResult.failed(f"HTTP {response.status_code}: {response.text[:200]}", permanent=False)
        code = str(body.get("Code"))
        if code == "OK" and response.is_success:
            biz_id = body.get("BizId")
            return SendResult.sent(str(biz_id) if biz_id is not None else None)
        reason = f"{code}: {body.get('Message', '')}"
        if response.status_code >= 500:
            return SendResult.failed(reason, permanent=False)
        return SendResult.failed(reason, permanent=code in PERMANENT_CODES)
