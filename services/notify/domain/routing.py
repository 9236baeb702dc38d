"""Which event produces which message, to whom, over which channels (pure).

Applicant notices the regulation requires (statutory) always go out on at least one channel:
the site inbox when the applicant has an account, e-mail, SMS and WeChat where given and
wanted, and the post (a letter an officer mails) when nothing else can reach them. Officers
get their work in their inbox: the assignee, or the agency's role mailbox (e.g. its heads)
when the message is for whoever holds a role; and by e-mail / SMS at the work contacts the
officer directory lists, the assignee or each holder of the role. A consultation letter goes to the third party
or the other agency by e-mail or SMS when its contact has one, by post otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

APPLICANT_CHANNELS = ("inbox", "email", "sms", "wechat", "post")  # post: only when nothing else reaches them
PARTY_CHANNELS = ("email", "sms", "post")
OFFICER_CHANNELS = ("inbox", "email", "sms")  # e-mail and SMS at the work contacts of the officer directory


@dataclass(frozen=True)
class Route:
    kind: str  # message kind: the template's name
    recipient: str  # applicant | assignee | party | role:<role>
    channels: tuple[str, ...]
    statutory: bool


ROUTES: dict[str, list[Route]] = {
    "RequestReceived": [Route("receipt", "applicant", APPLICANT_CHANNELS, True)],
    "CorrectionRequested": [Route("correction_notice", "applicant", APPLICANT_CHANNELS, True)],
    "ExtensionDecided": [Route("extension_notice", "applicant", APPLICANT_CHANNELS, True)],
    "LaterAnswerDateSet": [Route("later_answer_notice", "applicant", APPLICANT_CHANNELS, True)],
    "FeeNoticeIssued": [Route("fee_notice", "applicant", APPLICANT_CHANNELS, True)],
    "AnswerDispatched": [Route("answer_notice", "applicant", APPLICANT_CHANNELS, True)],
    "RequestClosed": [Route("closure_notice", "applicant", APPLICANT_CHANNELS, True)],
    "RequestReopened": [Route("reopen_notice", "applicant", APPLICANT_CHANNELS, True)],
    "CorrectionSubmitted": [Route("correction_received", "applicant", APPLICANT_CHANNELS, False)],
    # Art. 32 (third party) and Art. 34 (another agency): the opinion is sought in writing.
    "ConsultationStarted": [Route("consultation_letter", "party", PARTY_CHANNELS, True)],
    "RequestAssigned": [Route("assignment", "assignee", OFFICER_CHANNELS, False)],
    "ExtensionRequested": [Route("extension_approval_needed", "role:head", OFFICER_CHANNELS, False)],
    "AnswerProposed": [Route("review_needed", "role:reviewer", OFFICER_CHANNELS, False)],
    "DeadlineReminder": [Route("deadline_reminder", "assignee", OFFICER_CHANNELS, False)],
}


def routes_for(event_type: str, payload: dict[str, Any]) -> list[Route]:
    """The routes of an event; an extension refused needs no notice to the applicant."""
    if event_type == "ExtensionDecided" and not payload.get("approved"):
        return []
    return ROUTES.get(event_type, [])
