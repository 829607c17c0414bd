"""The one blueprint of the staff pages; each module of service/staff adds its views to it."""

from __future__ import annotations

from flask import Blueprint

from service.http.csrf import protect

blp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
blp.before_request(protect)
