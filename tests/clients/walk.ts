// Both getting-started guides, step by step, through a TypeScript client generated from the
// OpenAPI documents the running service serves: openapi-typescript turns each document into
// types (customer-event.ts, customer-order.ts, written beside this file in the scratch folder
// by tests/clients/run.sh) and openapi-fetch makes the calls with them. Every field a step
// reads goes through those types, so a field the document names differently from the wire
// is a compile error in that step: run.sh type-checks first and hands the compiler's
// messages over in TSC_ERRORS, and a step with a type error fails with them. The walk runs
// all the same (tsc emits despite errors), so each step's checks of the answers themselves
// (statuses, the guide's values) are reported too.
//
// Environment: BANKAPI_BASE (http://127.0.0.1:PORT), CUSTOMER_TOKEN (customer 1400269),
// STAFF_TOKEN, TSC_ERRORS (a file with tsc's --pretty false output; may be empty).
// Prints one `ok` or `FAIL` line per step; exits 1 when any step failed.

import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { paths as EventPaths } from "./customer-event.js";
import type { paths as OrderPaths } from "./customer-order.js";

function env(name: string): string {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`${name} is not set`);
    return value;
}

const BASE = env("BANKAPI_BASE");
const events = createClient<EventPaths>({
    baseUrl: `${BASE}/customer-event`,
    headers: { Authorization: `Bearer ${env("CUSTOMER_TOKEN")}` },
});
const orders = createClient<OrderPaths>({
    baseUrl: `${BASE}/customer-order`,
    headers: { Authorization: `Bearer ${env("STAFF_TOKEN")}` },
});

// ---------------------------------------------------------------- checks

class StepFailure extends Error {}

function fail(message: string): never {
    throw new StepFailure(message);
}

function equal(what: string, actual: unknown, expected: unknown): void {
    if (actual !== expected) {
        fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
}

/** The field was on the wire (a field the document misnames reads as `undefined`). */
function present<T>(what: string, value: T | undefined): T {
    if (value === undefined) fail(`${what}: missing (undefined through the generated type)`);
    return value;
}

function text(what: string, value: string | null | undefined): string {
    if (typeof value !== "string" || value === "") {
        fail(`${what}: expected a non-empty string, got ${JSON.stringify(value)}`);
    }
    return value;
}

function sameInstant(what: string, actual: string | null | undefined, expected: string): void {
    const got = Date.parse(text(what, actual));
    if (Number.isNaN(got) || got !== Date.parse(expected)) {
        fail(`${what}: expected the instant ${expected}, got ${JSON.stringify(actual)}`);
    }
    if (!actual!.endsWith("Z")) fail(`${what}: expected RFC 3339 in UTC with Z, got ${actual}`);
}

function status(what: string, response: Response, expected: number, error?: unknown): void {
    if (response.status !== expected) {
        const detail = error === undefined ? "" : `: ${JSON.stringify(error)}`;
        fail(`${what}: expected HTTP ${expected}, got ${response.status}${detail}`);
    }
}

function need<T>(what: string, value: T | undefined): T {
    if (value === undefined) fail(`needs ${what}, which an earlier step did not provide`);
    return value;
}

// ---------------------------------------------------------------- the steps

type Step = { name: string; run: () => Promise<void> };
const steps: Step[] = [];

/** Registers a step. Each call starts a line with `step(` so type errors can be mapped to it. */
function step(name: string, run: () => Promise<void>): void {
    steps.push({ name, run });
}

const GUIDE_XML =
    "<customer-login><customer-id>1400269</customer-id><event-id>a65ebbb2-5f23-42de-b0b2-b2362a03b392</event-id><occured-on>2014-10-10T12:34:28.203063+02:00</occured-on><user-id>8001186336</user-id><login-type>authorization-code</login-type><channel>mobile</channel></customer-login>";

const GUIDE_KEY_VALUES: [string, string][] = [
    ["customer-id", "1400269"],
    ["event-id", "a65ebbb2-5f23-42de-b0b2-b2362a03b392"],
    ["occured-on", "2014-10-10T12:34:28.203063+02:00"],
    ["user-id", "8001186336"],
    ["login-type", "authorization-code"],
    ["channel", "mobile"],
];

// What earlier steps hand to later ones.
let newestEventId: number | undefined;
let orderNumber: string | undefined;

/** The newest event of one kind of customer 1400269: the id steps 5 to 11 look at. */
async function firstOfKind(
    kind: "communication" | "social" | "accounting-transaction" | "customer-case"
        | "arrangement-activity" | "profile-maintenance" | "chargable-activity",
): Promise<number> {
    const { data, error, response } = await events.GET("/events", {
        params: { query: { "customer-number": "1400269", "event-kind": kind, "page-size": 1 } },
    });
    status(`GET /events?event-kind=${kind}`, response, 200, error);
    const page = present("the page", data);
    const first = page.items[0];
    if (first === undefined) fail(`no ${kind} event for customer 1400269 in the demo`);
    return present(`items[0].event-id (${kind})`, first["event-id"]);
}

/** What every typed view (steps 5 to 11) shares with step 4's event. */
function commonFields(
    path: string,
    id: number,
    kind: string,
    event: {
        "event-id": number;
        "event-kind": string;
        "creation-datetime": string;
        description?: string | null;
        uri: string;
        "event-data-xml": string;
        "event-data-key-values": { "event-data-xml-key": string; "event-data-xml-value": string }[];
    },
): void {
    equal(`${path}: event-id`, event["event-id"], id);
    equal(`${path}: event-kind`, event["event-kind"], kind);
    text(`${path}: creation-datetime`, event["creation-datetime"]);
    present(`${path}: description`, event.description);
    equal(`${path}: uri`, event.uri, `${BASE}/customer-event/v2.0/events/${id}`);
    text(`${path}: event-data-xml`, event["event-data-xml"]);
    if (event["event-data-key-values"].length === 0) fail(`${path}: no event-data-key-values`);
    for (const kv of event["event-data-key-values"]) {
        text(`${path}: event-data-xml-key`, kv["event-data-xml-key"]);
        present(`${path}: event-data-xml-value`, kv["event-data-xml-value"]);
    }
}

/** Each named typed field is on the wire (a string, or null when the event's XML lacks it). */
function typedFields(path: string, fields: Record<string, string | null | undefined>): void {
    for (const [name, value] of Object.entries(fields)) {
        if (value !== null && typeof value !== "string") {
            fail(`${path}: ${name}: expected a string or null, got ${JSON.stringify(value)}`);
        }
    }
}

step("event guide step 3: GET /events?customer-number=1400269", async () => {
    const { data, error, response } = await events.GET("/events", {
        params: { query: { "customer-number": "1400269" } },
    });
    status("GET /events", response, 200, error);
    const page = present("the page", data);
    equal("total-count", page["total-count"], 2298);
    equal("page-size", page["page-size"], 20);
    equal("page-number", page["page-number"], 1);
    equal("total-pages", page["total-pages"], 115);
    equal("items.length", page.items.length, 20);
    const first = page.items[0];
    if (first === undefined) fail("no items");
    equal("items[0].event-id", first["event-id"], 258242);
    sameInstant("items[0].creation-datetime", first["creation-datetime"], "2014-10-10T12:34:36.69Z");
    equal("items[0].description", first.description, null);
    equal("items[0].event-kind", first["event-kind"], "SecurityEvent");
    equal("items[0].uri", first.uri, `${BASE}/customer-event/v2.0/events/258242`);
    equal("items[1].event-id", page.items[1]?.["event-id"], 258220);
    equal("items[19].event-id", page.items[19]?.["event-id"], 256102);
    const next = page.navigations.find((n) => n.rel === "next");
    if (next === undefined) fail(`no navigations entry with rel next: ${JSON.stringify(page.navigations)}`);
    equal(
        "navigations[rel=next].href",
        next.href,
        `${BASE}/customer-event/v2.0/events?page-size=20&page-number=2&customer-number=1400269`,
    );
    newestEventId = first["event-id"];
});

step("event guide step 4: GET /events/{event-id} (the first event of step 3)", async () => {
    const id = need("step 3's items[0].event-id", newestEventId);
    const { data, error, response } = await events.GET("/events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    status(`GET /events/${id}`, response, 200, error);
    const event = present("the event", data);
    equal("event-id", event["event-id"], 258242);
    sameInstant("creation-datetime", event["creation-datetime"], "2014-10-10T12:34:36.69Z");
    equal("description", event.description, null);
    equal("event-kind", event["event-kind"], "SecurityEvent");
    equal("event-data-xml", event["event-data-xml"], GUIDE_XML);
    const kvs = event["event-data-key-values"];
    equal("event-data-key-values.length", kvs.length, GUIDE_KEY_VALUES.length);
    GUIDE_KEY_VALUES.forEach(([key, value], i) => {
        const kv = kvs[i];
        if (kv === undefined) fail(`event-data-key-values[${i}] missing`);
        equal(`event-data-key-values[${i}].event-data-xml-parent-key`, kv["event-data-xml-parent-key"], "customer-login");
        equal(`event-data-key-values[${i}].event-data-xml-key`, kv["event-data-xml-key"], key);
        equal(`event-data-key-values[${i}].event-data-xml-value`, kv["event-data-xml-value"], value);
    });
});

step("event guide step 5: GET /communication-events/{event-id}", async () => {
    const id = await firstOfKind("communication");
    const { data, error, response } = await events.GET("/communication-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /communication-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "CommunicationEvent", event);
    text(`${path}: medium`, event.medium);
    text(`${path}: customer-number`, event["customer-number"]);
    typedFields(path, {
        "communication-type": event["communication-type"],
        from: event.from,
        to: event.to,
        title: event.title,
        purpose: event.purpose,
        "return-address": event["return-address"],
        "workitem-id": event["workitem-id"],
        "referral-communication-id": event["referral-communication-id"],
        "responds-to-id": event["responds-to-id"],
        "resolution-status": event["resolution-status"],
    });
});

step("event guide step 6: GET /social-events/{event-id}", async () => {
    const id = await firstOfKind("social");
    const { data, error, response } = await events.GET("/social-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /social-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "SocialEvent", event);
    text(`${path}: network`, event.network);
    typedFields(path, { action: event.action, content: event.content });
});

step("event guide step 7: GET /accounting-transaction-events/{event-id}", async () => {
    const id = await firstOfKind("accounting-transaction");
    const { data, error, response } = await events.GET("/accounting-transaction-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /accounting-transaction-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "AccountingTransactionEvent", event);
    text(`${path}: amount`, event.amount);
    text(`${path}: currency-code`, event["currency-code"]);
    typedFields(path, {
        "arrangement-number": event["arrangement-number"],
        "transaction-id": event["transaction-id"],
        direction: event.direction,
        "booking-date": event["booking-date"],
    });
});

step("event guide step 8: GET /customer-case-events/{event-id}", async () => {
    const id = await firstOfKind("customer-case");
    const { data, error, response } = await events.GET("/customer-case-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /customer-case-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "CustomerCaseEvent", event);
    text(`${path}: case-id`, event["case-id"]);
    typedFields(path, {
        "case-type": event["case-type"],
        "case-status": event["case-status"],
        channel: event.channel,
    });
});

step("event guide step 9: GET /arrangement-activity-events/{event-id}", async () => {
    const id = await firstOfKind("arrangement-activity");
    const { data, error, response } = await events.GET("/arrangement-activity-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /arrangement-activity-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "ArrangementActivityEvent", event);
    text(`${path}: activity`, event.activity);
    typedFields(path, {
        "arrangement-number": event["arrangement-number"],
        "card-id": event["card-id"],
        "workitem-id": event["workitem-id"],
    });
});

step("event guide step 10: GET /profile-maintenance-events/{event-id}", async () => {
    const id = await firstOfKind("profile-maintenance");
    const { data, error, response } = await events.GET("/profile-maintenance-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /profile-maintenance-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "ProfileMaintenanceEvent", event);
    text(`${path}: field`, event.field);
    typedFields(path, {
        "old-value": event["old-value"],
        "new-value": event["new-value"],
        channel: event.channel,
    });
});

step("event guide step 11: GET /chargable-activity-events/{event-id}", async () => {
    const id = await firstOfKind("chargable-activity");
    const { data, error, response } = await events.GET("/chargable-activity-events/{event-id}", {
        params: { path: { "event-id": id } },
    });
    const path = `GET /chargable-activity-events/${id}`;
    status(path, response, 200, error);
    const event = present("the event", data);
    commonFields(path, id, "ChargableActivityEvent", event);
    text(`${path}: fee-code`, event["fee-code"]);
    text(`${path}: amount`, event.amount);
    typedFields(path, {
        "currency-code": event["currency-code"],
        "arrangement-number": event["arrangement-number"],
    });
});

step("event guide step 12: POST /communication-events (the guide's body)", async () => {
    const { data, error, response } = await events.POST("/communication-events", {
        body: {
            "customer-number": "1400269",
            "workitem-id": "WI0000492929",
            description: "some description",
            from: "Joe",
            to: "Tom",
            title: "SomeTitle",
            medium: "Mail",
            purpose: "TestPorpose",
            "return-address": "SomeAddress",
        },
    });
    status("POST /communication-events", response, 200, error);
    const created = present("the answer", data);
    const id = created.id;
    if (typeof id !== "number" || !(id > 258242)) fail(`id: expected the new event-id, got ${JSON.stringify(id)}`);
    equal("CreatedRecordStatus", created.CreatedRecordStatus, "Created");
    equal("Location", response.headers.get("location"), `${BASE}/customer-event/v2.0/communication-events/${id}`);

    // The new event, through its typed view, holds what was posted.
    const got = await events.GET("/communication-events/{event-id}", { params: { path: { "event-id": id } } });
    status(`GET /communication-events/${id}`, got.response, 200, got.error);
    const event = present("the new event", got.data);
    equal("customer-number", event["customer-number"], "1400269");
    equal("workitem-id", event["workitem-id"], "WI0000492929");
    equal("description", event.description, "some description");
    equal("from", event.from, "Joe");
    equal("to", event.to, "Tom");
    equal("title", event.title, "SomeTitle");
    equal("medium", event.medium, "mail");
    equal("purpose", event.purpose, "TestPorpose");
    equal("return-address", event["return-address"], "SomeAddress");

    // And it is the customer's newest event.
    const list = await events.GET("/events", { params: { query: { "customer-number": "1400269" } } });
    status("GET /events", list.response, 200, list.error);
    const page = present("the page", list.data);
    equal("total-count after the post", page["total-count"], 2299);
    equal("items[0].event-id after the post", page.items[0]?.["event-id"], id);
});

step("order guide step 3: POST /additional-card-issuances (the guide's body)", async () => {
    const { data, error, response } = await orders.POST("/additional-card-issuances", {
        body: { "authorized-customer-number": "1400054", "arrangement-number": "0064200001930" },
    });
    status("POST /additional-card-issuances", response, 202, error);
    const created = present("the answer", data);
    equal("id", created.id, "WI0000492475");
    equal("CreatedRecordStatus", created.CreatedRecordStatus, "active");
    equal(
        "Location",
        response.headers.get("location"),
        `${BASE}/customer-order/v2.0/additional-card-issuances/${created.id}`,
    );
    orderNumber = created.id;
});

step("order guide step 4: GET /additional-card-issuances/{order-number} (step 3's id)", async () => {
    const id = need("step 3's id", orderNumber);
    const { data, error, response } = await orders.GET("/additional-card-issuances/{order-number}", {
        params: { path: { "order-number": id } },
    });
    status(`GET /additional-card-issuances/${id}`, response, 200, error);
    const order = present("the order", data);
    equal("id", order.id, id);
    equal("order-number", order["order-number"], id);
    equal("authorized-customer-number", order["authorized-customer-number"], "1400054");
    equal("authorized-customer-name", order["authorized-customer-name"], "Ana Petrovic");
    equal("owner-customer-number", order["owner-customer-number"], "BRVU00002");
    equal("owner-customer-name", order["owner-customer-name"], "Branislav Vukovic");
    equal("arrangement-number", order["arrangement-number"], "0064200001930");
    equal("product-code", order["product-code"], "MasterCard");
    equal("description", order.description, null);
    equal("status", order.status, "proposed");
    equal("customer-friendly-status", order["customer-friendly-status"], "active");
    const created = text("creation-date", order["creation-date"]);
    if (Number.isNaN(Date.parse(created)) || !created.endsWith("Z")) {
        fail(`creation-date: expected RFC 3339 in UTC, got ${created}`);
    }
});

step("order guide step 5: PUT /additional-card-issuances/{order-number}/cancel", async () => {
    const id = need("step 3's id", orderNumber);
    const { error, response } = await orders.PUT("/additional-card-issuances/{order-number}/cancel", {
        params: { path: { "order-number": id } },
    });
    status(`PUT /additional-card-issuances/${id}/cancel`, response, 204, error);
    const { data, error: getError, response: got } = await orders.GET("/additional-card-issuances/{order-number}", {
        params: { path: { "order-number": id } },
    });
    status(`GET /additional-card-issuances/${id}`, got, 200, getError);
    const order = present("the order", data);
    equal("status after cancel", order.status, "canceled");
    equal("customer-friendly-status after cancel", order["customer-friendly-status"], "abandoned");
});

// ---------------------------------------------------------------- type errors per step

/** A compiler message without most of the long object types it spells out (its start says
 *  where and what, its end usually "Did you mean ...?"). */
function shorten(message: string): string {
    return message.length <= 400 ? message : `${message.slice(0, 220)} … ${message.slice(-160)}`;
}

/** tsc's `--pretty false` messages (TSC_ERRORS), each with its continuation lines, sorted
 *  into the steps whose source they point into and the rest. */
function typeErrors(): { inSteps: Map<string, string[]>; elsewhere: string[] } {
    const file = process.env.TSC_ERRORS;
    const raw = file ? readFileSync(file, "utf8") : "";
    const messages: { file: string; line: number; text: string[] }[] = [];
    for (const line of raw.split("\n")) {
        const match = /^(.*?)\((\d+),(\d+)\): (error .*)$/.exec(line);
        const last = messages[messages.length - 1];
        if (match) {
            const [, path, lineNo, col, message] = match;
            const name = path!.split("/").pop()!;
            messages.push({ file: name, line: Number(lineNo), text: [`${name}:${lineNo}:${col}: ${message}`] });
        } else if (/^\s/.test(line) && last !== undefined) {
            last.text.push(line.trim());
        } else if (line.trim() !== "") {
            messages.push({ file: "", line: 0, text: [line.trim()] });
        }
    }
    // Where each step's registration starts in this file's source, and where the steps end.
    const source = readFileSync(new URL("./walk.ts", import.meta.url), "utf8").split("\n");
    const starts: { name: string; line: number }[] = [];
    let end = source.length;
    source.forEach((text, i) => {
        const match = /^step\("([^"]+)"/.exec(text);
        if (match) starts.push({ name: match[1]!, line: i + 1 });
        if (text.startsWith("// ----") && text.includes("type errors per step")) end = i + 1;
    });
    const inSteps = new Map<string, string[]>();
    const elsewhere: string[] = [];
    for (const message of messages) {
        const owner = message.file === "walk.ts" && message.line < end
            ? [...starts].reverse().find((s) => s.line <= message.line)
            : undefined;
        const line = shorten(message.text.join(" "));
        if (owner === undefined) {
            elsewhere.push(line);
        } else {
            inSteps.set(owner.name, [...(inSteps.get(owner.name) ?? []), line]);
        }
    }
    return { inSteps, elsewhere };
}

// ---------------------------------------------------------------- main

/** An unexpected exception with its causes (fetch puts the network error there). */
function describe(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const cause = e.cause === undefined ? "" : `\n       caused by: ${describe(e.cause)}`;
    return `${e.stack ?? e.message}${cause}`;
}

async function main(): Promise<number> {
    const { inSteps, elsewhere } = typeErrors();
    let failed = 0;
    if (elsewhere.length > 0) {
        failed++;
        console.log(`FAIL typescript: type check outside the guide steps:`);
        for (const message of elsewhere) console.log(`       ${message}`);
    }
    for (const { name, run } of steps) {
        const problems: string[] = (inSteps.get(name) ?? []).map((m) => `type check: ${m}`);
        try {
            await run();
        } catch (e) {
            problems.push(e instanceof StepFailure ? e.message : `crashed: ${describe(e)}`);
        }
        if (problems.length === 0) {
            console.log(`ok   typescript ${name}`);
        } else {
            failed++;
            console.log(`FAIL typescript ${name}`);
            for (const problem of problems) console.log(`       ${problem}`);
        }
    }
    return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
