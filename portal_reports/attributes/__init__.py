"""Customer attributes: read them for reports (:mod:`.lookup`), change them safely (:mod:`.edit`),
in bulk from a CSV (:mod:`.csvio`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .csvio import BulkPlan, BulkResult, BulkRow, apply_bulk, plan_bulk, read_bulk_csv
    from .edit import (
        EDITABLE_FIELDS,
        Change,
        apply_change,
        diff_text,
        plan_update,
        set_attribute,
        validate_value,
    )
    from .lookup import (
        DEFAULT_NAME_ATTRIBUTE,
        ENV_NAME_ATTRIBUTE,
        FIELD_ORDER,
        PUT_FIELDS,
        attribute_records,
        business_name,
        get_attribute,
        list_attributes,
        name_from_attributes,
    )

__all__ = [
    "DEFAULT_NAME_ATTRIBUTE",
    "EDITABLE_FIELDS",
    "ENV_NAME_ATTRIBUTE",
    "FIELD_ORDER",
    "PUT_FIELDS",
    "BulkPlan",
    "BulkResult",
    "BulkRow",
    "Change",
    "apply_bulk",
    "apply_change",
    "attribute_records",
    "business_name",
    "diff_text",
    "get_attribute",
    "list_attributes",
    "name_from_attributes",
    "plan_bulk",
    "plan_update",
    "read_bulk_csv",
    "set_attribute",
    "validate_value",
]

# Imported on first use, so a module that needs one of these (month data needs the lookup)
# does not load the rest.
_EXPORTS = {
    "csvio": ("BulkPlan", "BulkResult", "BulkRow", "apply_bulk", "plan_bulk", "read_bulk_csv"),
    "edit": (
        "EDITABLE_FIELDS",
        "Change",
        "apply_change",
        "diff_text",
        "plan_update",
        "set_attribute",
        "validate_value",
    ),
    "lookup": (
        "DEFAULT_NAME_ATTRIBUTE",
        "ENV_NAME_ATTRIBUTE",
        "FIELD_ORDER",
        "PUT_FIELDS",
        "attribute_records",
        "business_name",
        "get_attribute",
        "list_attributes",
        "name_from_attributes",
    ),
}
_MODULES = ("csvio", "edit", "lookup")  # offered as attributes of the package themselves
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), modules=_MODULES)
