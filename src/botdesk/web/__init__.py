"""Server-rendered pages: the staff console and the demo shop."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from botdesk.web.markdown import render

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.filters["markdown"] = render


def page(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    # Security headers (CSP, no-store, …) are added to every response by api/headers.py.
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A console page's refusal (wrong tenant or role, not found, expired form)."""
    return page(request, "error.html", status, message=message)
