"""Server-rendered pages: the staff console and the demo shop."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from botdesk.api.schemas import plain_text
from botdesk.errors import Invalid
from botdesk.web.markdown import render

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.filters["markdown"] = render


def page(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    # Security headers (CSP, no-store, …) are added to every response by api/headers.py.
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A console page's refusal (wrong tenant or role, not found, expired form)."""
    return page(request, "error.html", status, message=message)


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _plain_form(request: Request) -> None:
    """A console form holds text a person typed: a NUL or a lone surrogate is refused (#13).

    At the edge, for every form of the console, before any field reaches a query (PostgreSQL
    refuses NUL in text with an error, which was a 500 on the sign-in form) or is stored.
    """
    if not request.headers.get("content-type", "").startswith(_FORMS):
        return
    form = await request.form()  # parsed once; routes reuse it
    for name, value in form.multi_items():
        if not isinstance(value, str):
            await form.close()  # its spooled file, which nothing else would close
            raise Invalid("the console's forms take no files")
        try:
            plain_text(value)
        except ValueError as exc:
            raise Invalid(f"the form's {name[:40]!r} field {exc}") from None


# Every console router depends on it (`APIRouter(dependencies=[PLAIN_FORM])`).
PLAIN_FORM = Depends(_plain_form)
