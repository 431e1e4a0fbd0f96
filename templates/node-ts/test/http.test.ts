// The HTTP API as clients see it, over a real socket, with in-memory stores.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";

import type { Item, ItemStore } from "../src/items/item.ts";
import { accessLines, postJson, startApp, type TestApp } from "./support.ts";

interface ErrorBody {
  error: {
    code: string;
    message: string;
    request_id: string;
    fields?: Record<string, string>;
  };
}

async function errorOf(response: Response): Promise<ErrorBody["error"]> {
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const body = (await response.json()) as ErrorBody;
  assert.equal(body.error.request_id, response.headers.get("x-request-id"));
  return body.error;
}

describe("the API", () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  test("healthz answers ok", async () => {
    const response = await fetch(`${app.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  test("an item is created and read back", async () => {
    const created = await postJson(`${app.url}/v1/items`, {
      name: "Espresso cup",
      price_cents: 1200,
    });
    assert.equal(created.status, 201);
    const item = (await created.json()) as Item;
    assert.equal(item.name, "Espresso cup");
    assert.equal(item.price_cents, 1200);
    assert.equal(created.headers.get("location"), `/v1/items/${item.id}`);

    const fetched = await fetch(`${app.url}/v1/items/${item.id}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(await fetched.json(), item);
  });

  test("an unknown item is 404", async () => {
    const response = await fetch(`${app.url}/v1/items/no-such-item`);
    assert.equal(response.status, 404);
    assert.equal((await errorOf(response)).code, "not_found");
  });

  test("malformed JSON is 400", async () => {
    const response = await postJson(`${app.url}/v1/items`, '{"name": "x');
    assert.equal(response.status, 400);
    assert.equal((await errorOf(response)).code, "bad_request");
  });

  test("a body that is no object is 400", async () => {
    const response = await postJson(`${app.url}/v1/items`, [1, 2]);
    assert.equal(response.status, 400);
  });

  test("invalid fields are 422 and named", async () => {
    const response = await postJson(`${app.url}/v1/items`, {
      name: " ",
      price_cents: "12",
      colour: "red",
    });
    assert.equal(response.status, 422);
    const error = await errorOf(response);
    assert.equal(error.code, "validation_failed");
    assert.deepEqual(error.fields, {
      name: "must not be blank",
      price_cents: "must be an integer",
      colour: "is not a known field",
    });
  });

  test("a name is kept as sent", async () => {
    const name = "  Espresso\u00a0cup ";
    const created = await postJson(`${app.url}/v1/items`, {
      name,
      price_cents: 1200,
    });
    assert.equal(created.status, 201);
    assert.equal(((await created.json()) as Item).name, name);
  });

  test("a name is at most 200 characters, not UTF-16 units", async () => {
    // 200 characters outside the Basic Multilingual Plane: 400 UTF-16 units.
    const longest = "\u{1F375}".repeat(200);
    const created = await postJson(`${app.url}/v1/items`, {
      name: longest,
      price_cents: 1,
    });
    assert.equal(created.status, 201);
    assert.equal(((await created.json()) as Item).name, longest);

    const response = await postJson(`${app.url}/v1/items`, {
      name: "x".repeat(201),
      price_cents: 1,
    });
    assert.equal(response.status, 422);
    assert.deepEqual((await errorOf(response)).fields, {
      name: "must be at most 200 characters",
    });
  });

  test("a name of spaces only is blank; other characters are content", async () => {
    for (const name of ["", "   "]) {
      const response = await postJson(`${app.url}/v1/items`, {
        name,
        price_cents: 1,
      });
      assert.equal(response.status, 422, JSON.stringify(name));
      assert.deepEqual((await errorOf(response)).fields, {
        name: "must not be blank",
      });
    }
    const created = await postJson(`${app.url}/v1/items`, {
      name: " \u00a0 ",
      price_cents: 1,
    });
    assert.equal(created.status, 201);
  });

  test("a name with a control character is refused", async () => {
    for (const name of ["a\tb", "\n", "a\u0000b", "a\u001fb", "a\u007fb"]) {
      const response = await postJson(`${app.url}/v1/items`, {
        name,
        price_cents: 1,
      });
      assert.equal(response.status, 422, JSON.stringify(name));
      assert.deepEqual((await errorOf(response)).fields, {
        name: "must not contain control characters",
      });
    }
  });

  test("a number with an integral value is an integer", async () => {
    for (const price of ["1033", "1033.0", "1.033e3"]) {
      const created = await postJson(
        `${app.url}/v1/items`,
        `{"name": "Cup", "price_cents": ${price}}`,
      );
      assert.equal(created.status, 201, price);
      assert.equal(((await created.json()) as Item).price_cents, 1033);
    }
    const response = await postJson(
      `${app.url}/v1/items`,
      '{"name": "Cup", "price_cents": 1033.5}',
    );
    assert.equal(response.status, 422);
    assert.deepEqual((await errorOf(response)).fields, {
      price_cents: "must be an integer",
    });
  });

  test("a missing field is required", async () => {
    const response = await postJson(`${app.url}/v1/items`, { name: "Cup" });
    assert.equal(response.status, 422);
    assert.deepEqual((await errorOf(response)).fields, {
      price_cents: "is required",
    });
  });

  test("a body over the limit is 413", async () => {
    const response = await postJson(`${app.url}/v1/items`, {
      name: "x".repeat(1024 * 1024),
      price_cents: 1,
    });
    assert.equal(response.status, 413);
    assert.equal((await errorOf(response)).code, "payload_too_large");
  });

  test("the OpenAPI document is served as written", async () => {
    const response = await fetch(`${app.url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(
      response.headers.get("content-type") ?? "",
      /^application\/json/,
    );
    const written = await readFile(
      new URL("../api/openapi.json", import.meta.url),
      "utf8",
    );
    assert.equal(await response.text(), written);
  });

  test("an unknown route is 404", async () => {
    const response = await fetch(`${app.url}/no/such/route`);
    assert.equal(response.status, 404);
    assert.equal((await errorOf(response)).code, "not_found");
  });

  test("a wrong method is 405 with Allow", async () => {
    const response = await fetch(`${app.url}/v1/items`, { method: "DELETE" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    assert.equal((await errorOf(response)).code, "method_not_allowed");
  });

  test("a valid X-Request-ID is echoed", async () => {
    const response = await fetch(`${app.url}/healthz`, {
      headers: { "x-request-id": "abc-123" },
    });
    assert.equal(response.headers.get("x-request-id"), "abc-123");
  });

  test("an invalid X-Request-ID is replaced", async () => {
    const response = await fetch(`${app.url}/healthz`, {
      headers: { "x-request-id": "not valid" },
    });
    const id = response.headers.get("x-request-id");
    assert.ok(id !== null && id !== "not valid");
  });

  test("every request has exactly one access line", async () => {
    const response = await fetch(`${app.url}/v1/items/unknown?x=1`);
    const id = response.headers.get("x-request-id") ?? "";
    await response.arrayBuffer();
    const lines = accessLines(app.logs, id);
    assert.equal(lines.length, 1);
    const line = lines[0] ?? {};
    assert.equal(line.method, "GET");
    assert.equal(line.path, "/v1/items/unknown");
    assert.equal(line.status, 404);
    assert.equal(typeof line.duration_ms, "number");
    // The service formats the time itself, the date once a second.
    const time = String(line.time);
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.now() - Date.parse(time)) < 5000, time);
    assert.equal(line.level, "info");
  });
});

describe("readiness", () => {
  test("reports each dependency, and 503 naming a failing one", async () => {
    let up = true;
    const app = await startApp({
      checks: {
        database: () =>
          up ? Promise.resolve() : Promise.reject(new Error("down")),
      },
    });
    try {
      const ready = await fetch(`${app.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), {
        status: "ready",
        checks: { database: "ok" },
      });
      up = false;
      const down = await fetch(`${app.url}/readyz`);
      assert.equal(down.status, 503);
      assert.deepEqual(await down.json(), {
        status: "unavailable",
        checks: { database: "error" },
      });
    } finally {
      await app.close();
    }
  });

  test("a hung dependency is not ready within about a second", async () => {
    const app = await startApp({
      checks: { database: () => new Promise(() => undefined) },
    });
    try {
      const started = performance.now();
      const response = await fetch(`${app.url}/readyz`);
      assert.equal(response.status, 503);
      assert.ok(performance.now() - started < 2000);
    } finally {
      await app.close();
    }
  });

  test("answers 503 while draining", async () => {
    const app = await startApp();
    try {
      app.state.draining = true;
      const response = await fetch(`${app.url}/readyz`);
      assert.equal(response.status, 503);
    } finally {
      await app.close();
    }
  });
});

describe("failures", () => {
  test("a request past the timeout answers 504", async () => {
    const hanging: ItemStore = {
      create: () => Promise.resolve(),
      get: () => new Promise(() => undefined),
    };
    const app = await startApp({ items: hanging, requestTimeoutMs: 200 });
    try {
      const started = performance.now();
      const response = await fetch(`${app.url}/v1/items/any`);
      assert.equal(response.status, 504);
      assert.equal((await errorOf(response)).code, "timeout");
      assert.ok(performance.now() - started < 2000);
      const health = await fetch(`${app.url}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await app.close();
    }
  });

  test("an unhandled error answers 500 and is logged", async () => {
    const failing: ItemStore = {
      create: () => Promise.resolve(),
      get: () => Promise.reject(new Error("the disk is on fire")),
    };
    const app = await startApp({ items: failing });
    try {
      const response = await fetch(`${app.url}/v1/items/any`);
      assert.equal(response.status, 500);
      const error = await errorOf(response);
      assert.equal(error.code, "internal");
      assert.doesNotMatch(error.message, /disk/);
      const logged = app.logs.find((record) => record.level === "error");
      assert.match(JSON.stringify(logged), /the disk is on fire/);
      assert.match(JSON.stringify(logged), /stack/);
      const health = await fetch(`${app.url}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await app.close();
    }
  });
});
