"""Both getting-started guides, step by step, through Python clients generated from the
OpenAPI documents the running service serves (openapi-python-client; tests/clients/run.sh
generates the packages customer_event_client and customer_order_client into the scratch
folder and puts them on PYTHONPATH).

Python has no compile step, so each step checks what a misnamed field would do to the
generated models: every field the guide shows must have been read into its attribute
(not left UNSET), and no parsed model may keep anything in `additional_properties`
(a field on the wire that the document does not name, or names differently, lands there).

Environment: BANKAPI_BASE (http://127.0.0.1:PORT), CUSTOMER_TOKEN (customer 1400269),
STAFF_TOKEN. Prints one `ok` or `FAIL` line per step; exits 1 when any step failed.
"""

import datetime
import os
import sys
import traceback
from http import HTTPStatus
from typing import Any

import attrs
from customer_event_client import AuthenticatedClient as EventClient
from customer_event_client.api.events import (
    create_communication_event,
    get_accounting_transaction_event,
    get_arrangement_activity_event,
    get_chargable_activity_event,
    get_communication_event,
    get_customer_case_event,
    get_event,
    get_profile_maintenance_event,
    get_social_event,
    list_events,
)
from customer_event_client.models import (
    CreatedEvent,
    EventKind,
    EventKindInput,
    MediumInput,
    NewCommunicationEvent,
    PageEventItem,
    TypedEventAccountingTransactionFields,
    TypedEventArrangementActivityFields,
    TypedEventChargableActivityFields,
    TypedEventCommunicationFields,
    TypedEventCustomerCaseFields,
    TypedEventProfileMaintenanceFields,
    TypedEventSocialFields,
)
from customer_event_client.models import EventDetail
from customer_event_client.types import Unset
from customer_order_client import AuthenticatedClient as OrderClient
from customer_order_client.api.additional_card_issuances import (
    cancel_additional_card_issuance,
    create_additional_card_issuance,
    get_additional_card_issuance,
)
from customer_order_client.models import (
    CreatedOrder,
    NewAdditionalCardIssuance,
    OrderViewIssuanceFields,
)
from customer_order_client.types import Unset as OrderUnset


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"{name} is not set")
    return value


BASE = env("BANKAPI_BASE")
EVENTS = EventClient(base_url=f"{BASE}/customer-event", token=env("CUSTOMER_TOKEN"), timeout=30.0)
ORDERS = OrderClient(base_url=f"{BASE}/customer-order", token=env("STAFF_TOKEN"), timeout=30.0)

GUIDE_XML = (
    "<customer-login><customer-id>1400269</customer-id><event-id>a65ebbb2-5f23-42de-b0b2-b2362a03b392"
    "</event-id><occured-on>2014-10-10T12:34:28.203063+02:00</occured-on><user-id>8001186336</user-id>"
    "<login-type>authorization-code</login-type><channel>mobile</channel></customer-login>"
)
GUIDE_KEY_VALUES = [
    ("customer-id", "1400269"),
    ("event-id", "a65ebbb2-5f23-42de-b0b2-b2362a03b392"),
    ("occured-on", "2014-10-10T12:34:28.203063+02:00"),
    ("user-id", "8001186336"),
    ("login-type", "authorization-code"),
    ("channel", "mobile"),
]


# ---------------------------------------------------------------- checks


class StepFailure(Exception):
    pass


def fail(message: str) -> None:
    raise StepFailure(message)


def is_unset(value: Any) -> bool:
    return isinstance(value, (Unset, OrderUnset))


def read(model: Any, attribute: str, wire: str) -> Any:
    """The attribute the generated model has for the wire field `wire`; fails when the
    field was not read into it (UNSET: the document names it differently, or not at all)."""
    if not hasattr(model, attribute):
        fail(f"{type(model).__name__} has no attribute {attribute} for the field {wire!r}")
    value = getattr(model, attribute)
    if is_unset(value):
        extra = getattr(model, "additional_properties", {})
        landed = f"; the answer has {wire!r} in additional_properties" if wire in extra else ""
        fail(f"{type(model).__name__}.{attribute} ({wire!r}) is UNSET{landed}")
    return value


def equal(what: str, actual: Any, expected: Any) -> None:
    if actual != expected:
        fail(f"{what}: expected {expected!r}, got {actual!r}")


def text(what: str, value: Any) -> str:
    if not isinstance(value, str) or value == "":
        fail(f"{what}: expected a non-empty string, got {value!r}")
    return value


def no_additional_properties(model: Any, path: str = "") -> None:
    """No field of the answer, at any depth, landed in a model's additional_properties."""
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if attrs.has(type(value)):
            for key in getattr(value, "additional_properties", {}) or {}:
                found.append(f"{where or type(value).__name__}: {key!r} (in {type(value).__name__})")
            for field in attrs.fields(type(value)):
                if field.name != "additional_properties":
                    walk(getattr(value, field.name), f"{where}.{field.name}" if where else field.name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")

    walk(model, path)
    if found:
        fail("fields the document does not name landed in additional_properties: " + "; ".join(found))


def parsed(what: str, response: Any, status: HTTPStatus, model_type: type) -> Any:
    if response.status_code != status:
        fail(f"{what}: expected HTTP {int(status)}, got {int(response.status_code)}: {response.content[:300]!r}")
    if not isinstance(response.parsed, model_type):
        fail(f"{what}: the answer parsed as {type(response.parsed).__name__}, not {model_type.__name__}")
    no_additional_properties(response.parsed)
    return response.parsed


def utc_instant(what: str, value: Any, expected: str | None = None) -> None:
    if not isinstance(value, datetime.datetime):
        fail(f"{what}: expected a date-time, got {value!r}")
    if value.utcoffset() != datetime.timedelta(0):
        fail(f"{what}: expected UTC, got {value.isoformat()}")
    if expected is not None and value != datetime.datetime.fromisoformat(expected):
        fail(f"{what}: expected {expected}, got {value.isoformat()}")


# ---------------------------------------------------------------- the steps

STEPS: list[tuple[str, Any]] = []


def step(name: str):
    def register(function):
        STEPS.append((name, function))
        return function

    return register


state: dict[str, Any] = {}


def need(key: str, what: str) -> Any:
    if key not in state:
        fail(f"needs {what}, which an earlier step did not provide")
    return state[key]


def first_of_kind(kind: EventKindInput) -> int:
    """The newest event of one kind of customer 1400269: the id steps 5 to 11 look at."""
    response = list_events.sync_detailed(client=EVENTS, customer_number="1400269", event_kind=kind, page_size=1)
    page = parsed(f"GET /events?event-kind={kind}", response, HTTPStatus.OK, PageEventItem)
    if not page.items:
        fail(f"no {kind} event for customer 1400269 in the demo")
    return read(page.items[0], "event_id", "event-id")


def common_fields(path: str, event_id: int, kind: EventKind, event: Any) -> None:
    """What every typed view (steps 5 to 11) shares with step 4's event."""
    equal(f"{path}: event-id", read(event, "event_id", "event-id"), event_id)
    equal(f"{path}: event-kind", read(event, "event_kind", "event-kind"), kind)
    utc_instant(f"{path}: creation-datetime", read(event, "creation_datetime", "creation-datetime"))
    read(event, "description", "description")
    equal(f"{path}: uri", read(event, "uri", "uri"), f"{BASE}/customer-event/v2.0/events/{event_id}")
    text(f"{path}: event-data-xml", read(event, "event_data_xml", "event-data-xml"))
    kvs = read(event, "event_data_key_values", "event-data-key-values")
    if not kvs:
        fail(f"{path}: no event-data-key-values")
    for kv in kvs:
        text(f"{path}: event-data-xml-key", read(kv, "event_data_xml_key", "event-data-xml-key"))
        read(kv, "event_data_xml_value", "event-data-xml-value")


def typed_fields(path: str, event: Any, fields: dict[str, str]) -> None:
    """Each typed field (wire name -> attribute) is on the wire: a string, or None when the
    event's XML lacks it."""
    for wire, attribute in fields.items():
        value = read(event, attribute, wire)
        if value is not None and not isinstance(value, str):
            fail(f"{path}: {wire}: expected a string or null, got {value!r}")


@step("event guide step 3: GET /events?customer-number=1400269")
def event_step_3() -> None:
    page = parsed("GET /events", list_events.sync_detailed(client=EVENTS, customer_number="1400269"),
                  HTTPStatus.OK, PageEventItem)
    equal("total-count", read(page, "total_count", "total-count"), 2298)
    equal("page-size", read(page, "page_size", "page-size"), 20)
    equal("page-number", read(page, "page_number", "page-number"), 1)
    equal("total-pages", read(page, "total_pages", "total-pages"), 115)
    items = read(page, "items", "items")
    equal("items.length", len(items), 20)
    first = items[0]
    equal("items[0].event-id", read(first, "event_id", "event-id"), 258242)
    utc_instant("items[0].creation-datetime", read(first, "creation_datetime", "creation-datetime"),
                "2014-10-10T12:34:36.690+00:00")
    equal("items[0].description", read(first, "description", "description"), None)
    equal("items[0].event-kind", read(first, "event_kind", "event-kind"), "SecurityEvent")
    equal("items[0].uri", read(first, "uri", "uri"), f"{BASE}/customer-event/v2.0/events/258242")
    equal("items[1].event-id", read(items[1], "event_id", "event-id"), 258220)
    equal("items[19].event-id", read(items[19], "event_id", "event-id"), 256102)
    navigations = read(page, "navigations", "navigations")
    nexts = [n for n in navigations if read(n, "rel", "rel") == "next"]
    if not nexts:
        fail(f"no navigations entry with rel next: {[n.to_dict() for n in navigations]}")
    equal("navigations[rel=next].href", read(nexts[0], "href", "href"),
          f"{BASE}/customer-event/v2.0/events?page-size=20&page-number=2&customer-number=1400269")
    state["event_id"] = first.event_id


@step("event guide step 4: GET /events/{event-id} (the first event of step 3)")
def event_step_4() -> None:
    event_id = need("event_id", "step 3's items[0].event-id")
    event = parsed(f"GET /events/{event_id}", get_event.sync_detailed(event_id, client=EVENTS),
                   HTTPStatus.OK, EventDetail)
    equal("event-id", read(event, "event_id", "event-id"), 258242)
    utc_instant("creation-datetime", read(event, "creation_datetime", "creation-datetime"),
                "2014-10-10T12:34:36.690+00:00")
    equal("description", read(event, "description", "description"), None)
    equal("event-kind", read(event, "event_kind", "event-kind"), "SecurityEvent")
    equal("event-data-xml", read(event, "event_data_xml", "event-data-xml"), GUIDE_XML)
    kvs = read(event, "event_data_key_values", "event-data-key-values")
    equal("event-data-key-values.length", len(kvs), len(GUIDE_KEY_VALUES))
    for i, ((key, value), kv) in enumerate(zip(GUIDE_KEY_VALUES, kvs)):
        equal(f"event-data-key-values[{i}].event-data-xml-parent-key",
              read(kv, "event_data_xml_parent_key", "event-data-xml-parent-key"), "customer-login")
        equal(f"event-data-key-values[{i}].event-data-xml-key",
              read(kv, "event_data_xml_key", "event-data-xml-key"), key)
        equal(f"event-data-key-values[{i}].event-data-xml-value",
              read(kv, "event_data_xml_value", "event-data-xml-value"), value)


def typed_view(path: str, module: Any, model: type, kind_input: EventKindInput, kind: EventKind,
               main: list[tuple[str, str]], others: dict[str, str]) -> None:
    """Steps 5 to 11: a typed view of the customer's newest event of its kind."""
    event_id = first_of_kind(kind_input)
    where = f"GET /{path}/{event_id}"
    event = parsed(where, module.sync_detailed(event_id, client=EVENTS), HTTPStatus.OK, model)
    common_fields(where, event_id, kind, event)
    for wire, attribute in main:
        text(f"{where}: {wire}", read(event, attribute, wire))
    typed_fields(where, event, others)


@step("event guide step 5: GET /communication-events/{event-id}")
def event_step_5() -> None:
    typed_view("communication-events", get_communication_event, TypedEventCommunicationFields,
               "communication", "CommunicationEvent",
               [("medium", "medium"), ("customer-number", "customer_number")],
               {"communication-type": "communication_type", "from": "from_", "to": "to", "title": "title",
                "purpose": "purpose", "return-address": "return_address", "workitem-id": "workitem_id",
                "referral-communication-id": "referral_communication_id",
                "responds-to-id": "responds_to_id", "resolution-status": "resolution_status"})


@step("event guide step 6: GET /social-events/{event-id}")
def event_step_6() -> None:
    typed_view("social-events", get_social_event, TypedEventSocialFields,
               "social", "SocialEvent",
               [("network", "network")], {"action": "action", "content": "content"})


@step("event guide step 7: GET /accounting-transaction-events/{event-id}")
def event_step_7() -> None:
    typed_view("accounting-transaction-events", get_accounting_transaction_event,
               TypedEventAccountingTransactionFields,
               "accounting-transaction", "AccountingTransactionEvent",
               [("amount", "amount"), ("currency-code", "currency_code")],
               {"arrangement-number": "arrangement_number", "transaction-id": "transaction_id",
                "direction": "direction", "booking-date": "booking_date"})


@step("event guide step 8: GET /customer-case-events/{event-id}")
def event_step_8() -> None:
    typed_view("customer-case-events", get_customer_case_event, TypedEventCustomerCaseFields,
               "customer-case", "CustomerCaseEvent",
               [("case-id", "case_id")],
               {"case-type": "case_type", "case-status": "case_status", "channel": "channel"})


@step("event guide step 9: GET /arrangement-activity-events/{event-id}")
def event_step_9() -> None:
    typed_view("arrangement-activity-events", get_arrangement_activity_event,
               TypedEventArrangementActivityFields,
               "arrangement-activity", "ArrangementActivityEvent",
               [("activity", "activity")],
               {"arrangement-number": "arrangement_number", "card-id": "card_id", "workitem-id": "workitem_id"})


@step("event guide step 10: GET /profile-maintenance-events/{event-id}")
def event_step_10() -> None:
    typed_view("profile-maintenance-events", get_profile_maintenance_event, TypedEventProfileMaintenanceFields,
               "profile-maintenance", "ProfileMaintenanceEvent",
               [("field", "field")],
               {"old-value": "old_value", "new-value": "new_value", "channel": "channel"})


@step("event guide step 11: GET /chargable-activity-events/{event-id}")
def event_step_11() -> None:
    typed_view("chargable-activity-events", get_chargable_activity_event, TypedEventChargableActivityFields,
               "chargable-activity", "ChargableActivityEvent",
               [("fee-code", "fee_code"), ("amount", "amount")],
               {"currency-code": "currency_code", "arrangement-number": "arrangement_number"})


@step("event guide step 12: POST /communication-events (the guide's body)")
def event_step_12() -> None:
    # The guide's own spelling, which the document lists beside the canonical `mail`.
    medium: MediumInput = "Mail"
    body = NewCommunicationEvent(
        customer_number="1400269",
        workitem_id="WI0000492929",
        description="some description",
        from_="Joe",
        to="Tom",
        title="SomeTitle",
        medium=medium,
        purpose="TestPorpose",
        return_address="SomeAddress",
    )
    response = create_communication_event.sync_detailed(client=EVENTS, body=body)
    created = parsed("POST /communication-events", response, HTTPStatus.OK, CreatedEvent)
    new_id = read(created, "id", "id")
    if not isinstance(new_id, int) or new_id <= 258242:
        fail(f"id: expected the new event-id, got {new_id!r}")
    equal("CreatedRecordStatus", read(created, "created_record_status", "CreatedRecordStatus"), "Created")
    equal("Location", response.headers.get("location"), f"{BASE}/customer-event/v2.0/communication-events/{new_id}")

    # The new event, through its typed view, holds what was posted.
    event = parsed(f"GET /communication-events/{new_id}",
                   get_communication_event.sync_detailed(new_id, client=EVENTS),
                   HTTPStatus.OK, TypedEventCommunicationFields)
    for wire, attribute, expected in [
        ("customer-number", "customer_number", "1400269"),
        ("workitem-id", "workitem_id", "WI0000492929"),
        ("description", "description", "some description"),
        ("from", "from_", "Joe"),
        ("to", "to", "Tom"),
        ("title", "title", "SomeTitle"),
        ("medium", "medium", "mail"),
        ("purpose", "purpose", "TestPorpose"),
        ("return-address", "return_address", "SomeAddress"),
    ]:
        equal(wire, read(event, attribute, wire), expected)

    # And it is the customer's newest event.
    page = parsed("GET /events", list_events.sync_detailed(client=EVENTS, customer_number="1400269"),
                  HTTPStatus.OK, PageEventItem)
    equal("total-count after the post", read(page, "total_count", "total-count"), 2299)
    equal("items[0].event-id after the post", read(page.items[0], "event_id", "event-id"), new_id)


@step("order guide step 3: POST /additional-card-issuances (the guide's body)")
def order_step_3() -> None:
    body = NewAdditionalCardIssuance(authorized_customer_number="1400054", arrangement_number="0064200001930")
    response = create_additional_card_issuance.sync_detailed(client=ORDERS, body=body)
    created = parsed("POST /additional-card-issuances", response, HTTPStatus.ACCEPTED, CreatedOrder)
    equal("id", read(created, "id", "id"), "WI0000492475")
    equal("CreatedRecordStatus", read(created, "created_record_status", "CreatedRecordStatus"), "active")
    equal("Location", response.headers.get("location"),
          f"{BASE}/customer-order/v2.0/additional-card-issuances/{created.id}")
    state["order_number"] = created.id


@step("order guide step 4: GET /additional-card-issuances/{order-number} (step 3's id)")
def order_step_4() -> None:
    number = need("order_number", "step 3's id")
    order = parsed(f"GET /additional-card-issuances/{number}",
                   get_additional_card_issuance.sync_detailed(number, client=ORDERS),
                   HTTPStatus.OK, OrderViewIssuanceFields)
    for wire, attribute, expected in [
        ("id", "id", number),
        ("order-number", "order_number", number),
        ("authorized-customer-number", "authorized_customer_number", "1400054"),
        ("authorized-customer-name", "authorized_customer_name", "Ana Petrovic"),
        ("owner-customer-number", "owner_customer_number", "BRVU00002"),
        ("owner-customer-name", "owner_customer_name", "Branislav Vukovic"),
        ("arrangement-number", "arrangement_number", "0064200001930"),
        ("product-code", "product_code", "MasterCard"),
        ("description", "description", None),
        ("status", "status", "proposed"),
        ("customer-friendly-status", "customer_friendly_status", "active"),
    ]:
        equal(wire, read(order, attribute, wire), expected)
    utc_instant("creation-date", read(order, "creation_date", "creation-date"))


@step("order guide step 5: PUT /additional-card-issuances/{order-number}/cancel")
def order_step_5() -> None:
    number = need("order_number", "step 3's id")
    response = cancel_additional_card_issuance.sync_detailed(number, client=ORDERS)
    if response.status_code != HTTPStatus.NO_CONTENT:
        fail(f"PUT /additional-card-issuances/{number}/cancel: expected HTTP 204, "
             f"got {int(response.status_code)}: {response.content[:300]!r}")
    order = parsed(f"GET /additional-card-issuances/{number}",
                   get_additional_card_issuance.sync_detailed(number, client=ORDERS),
                   HTTPStatus.OK, OrderViewIssuanceFields)
    equal("status after cancel", read(order, "status", "status"), "canceled")
    equal("customer-friendly-status after cancel",
          read(order, "customer_friendly_status", "customer-friendly-status"), "abandoned")


# ---------------------------------------------------------------- main


def main() -> int:
    failed = 0
    for name, function in STEPS:
        try:
            function()
        except StepFailure as e:
            failed += 1
            print(f"FAIL python {name}\n       {e}")
        except KeyError as e:
            failed += 1
            frame = traceback.extract_tb(e.__traceback__)[-1]
            print(f"FAIL python {name}\n       the generated {os.path.basename(frame.filename)}"
                  f" ({frame.name}) requires the field {e.args[0]!r}, which the answer does not have")
        except Exception:  # any other crash, of the walk or of the generated code
            failed += 1
            detail = traceback.format_exc().strip().splitlines()
            print(f"FAIL python {name}\n       crashed: " + "\n       ".join(detail[-6:]))
        else:
            print(f"ok   python {name}")
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
