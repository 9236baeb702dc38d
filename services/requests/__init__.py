"""Requests service: disclosure on request (依申请公开) from intake to answer and remedies."""
