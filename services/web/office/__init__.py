"""The officers' workbench (政务公开工作台) under /office/: the same site, officers' screens over the same APIs.

Every screen states the roles that may open it and offers only the actions the APIs would allow
that officer; the APIs still decide (their Chinese problem text is shown when they refuse).
"""
