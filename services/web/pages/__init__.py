"""The site's pages, one router per part: the display settings, the 政府信息公开 column, and 依申请公开."""

from __future__ import annotations

from services.web.pages import account, apply, column, display, inbox, my, status

ROUTERS = (display.router, column.router, account.router, apply.router, my.router, inbox.router, status.router)
