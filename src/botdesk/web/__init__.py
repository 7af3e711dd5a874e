"""Server-rendered pages: the staff console and the demo shop."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from botdesk.web.markdown import render

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.filters["markdown"] = render

# Pages run only our own scripts and styles; nothing may frame the console.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
