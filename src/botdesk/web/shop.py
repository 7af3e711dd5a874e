"""The demo merchant's shop page, served at / so `make run` shows botdesk in place."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from botdesk.web import TEMPLATES

router = APIRouter(include_in_schema=False)

PRODUCTS = (
    ("Merino wool sweater", "Sweaters", "89,00 €"),
    ("Linen shirt", "Shirts", "59,00 €"),
    ("Rain jacket", "Outerwear", "149,00 €"),
    ("Wool beanie", "Accessories", "25,00 €"),
    ("Organic cotton tee", "T-shirts", "29,00 €"),
    ("Down vest", "Outerwear", "119,00 €"),
)


@router.get("/")
def shop_page(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "shop.html", {"products": PRODUCTS})
