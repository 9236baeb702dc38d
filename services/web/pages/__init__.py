"""The site's pages, one router per part: the display settings, the 政府信息公开 column, and 依申请公开."""

from __future__ import annotations

from services.web.office import account as office_account
from services.web.office import admin as office_admin
from services.web.office import documents as office_documents
from services.web.office import documents_actions as office_document_actions
from services.web.office import documents_lists as office_document_lists
from services.web.office import requests as office_requests
from services.web.office import requests_intake as office_requests_intake
from services.web.office import supervision as office_supervision
from services.web.pages import account, apply, catalog, column, display, documents, inbox, my, reports, status

ROUTERS = (
    display.router,
    column.router,
    catalog.router,
    documents.router,
    reports.router,
    account.router,
    apply.router,
    my.router,
    inbox.router,
    status.router,
    office_account.router,
    office_supervision.router,
    office_admin.router,
    office_document_lists.router,  # before office_documents: /office/documents/review is not a document
    office_documents.router,
    office_document_actions.router,
    office_requests_intake.router,  # before office_requests: /office/requests/new is not a request's id
    office_requests.router,
)
