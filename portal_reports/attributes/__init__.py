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
_LAZY = {
    "BulkPlan": ("csvio", "BulkPlan"),
    "BulkResult": ("csvio", "BulkResult"),
    "BulkRow": ("csvio", "BulkRow"),
    "apply_bulk": ("csvio", "apply_bulk"),
    "plan_bulk": ("csvio", "plan_bulk"),
    "read_bulk_csv": ("csvio", "read_bulk_csv"),
    "EDITABLE_FIELDS": ("edit", "EDITABLE_FIELDS"),
    "Change": ("edit", "Change"),
    "apply_change": ("edit", "apply_change"),
    "diff_text": ("edit", "diff_text"),
    "plan_update": ("edit", "plan_update"),
    "set_attribute": ("edit", "set_attribute"),
    "validate_value": ("edit", "validate_value"),
    "DEFAULT_NAME_ATTRIBUTE": ("lookup", "DEFAULT_NAME_ATTRIBUTE"),
    "ENV_NAME_ATTRIBUTE": ("lookup", "ENV_NAME_ATTRIBUTE"),
    "FIELD_ORDER": ("lookup", "FIELD_ORDER"),
    "PUT_FIELDS": ("lookup", "PUT_FIELDS"),
    "attribute_records": ("lookup", "attribute_records"),
    "business_name": ("lookup", "business_name"),
    "get_attribute": ("lookup", "get_attribute"),
    "list_attributes": ("lookup", "list_attributes"),
    "name_from_attributes": ("lookup", "name_from_attributes"),
    "csvio": ("csvio", None),
    "edit": ("edit", None),
    "lookup": ("lookup", None),
}  # and the modules themselves, as attributes of the package
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
