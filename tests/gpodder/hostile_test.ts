import assert from "node:assert/strict";
import {
  action,
  expectError,
  FEED,
  type GpClient,
  type Json,
  NC,
  seed,
  withGp,
} from "./_client.ts";

/** Every upload endpoint with the raw bodies that must each be refused with `status`. */
async function refuseBodies(
  gp: GpClient,
  cases: [method: string, path: string, body: BodyInit, status: number][],
): Promise<void> {
  for (const [method, path, raw, status] of cases) {
    const r = await gp.call(method, path, { raw });
    expectError(r, status, `${method} ${path} ${String(raw).slice(0, 60)}`);
  }
}
Deno.test("gpodder uploads refuse malformed JSON with a 400 and write nothing", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const bad = ["{", "[1,", "nul", '{"add": [}', "\u0000", "[]]", '"unterminated'];
    const paths: [string, string][] = [
      ["POST", "/api/2/episodes/alice.json"],
      ["POST", "/api/2/subscriptions/alice/phone.json"],
      ["POST", "/api/2/devices/alice/phone.json"],
      ["POST", "/api/2/settings/alice/account.json"],
      ["POST", "/api/2/sync-devices/alice.json"],
      ["PUT", "/subscriptions/alice/phone.json"],
      ["POST", `${NC}/subscription_change/create`],
      ["POST", `${NC}/episode_action/create`],
    ];
    const cases: [string, string, BodyInit, number][] = [];
    for (const [m, p] of paths) for (const b of bad) cases.push([m, p, b, 400]);
    // Not UTF-8 at all.
    for (const [m, p] of paths) cases.push([m, p, new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]), 400]);
    // Empty where a body is required.
    cases.push(["POST", "/api/2/episodes/alice.json", "", 400]);
    cases.push(["POST", "/api/2/subscriptions/alice/phone.json", "  ", 400]);
    await refuseBodies(gp, cases);
    assert.equal(await gp.head(), head);
  });
});

Deno.test("gpodder uploads refuse wrong types (objects for lists, numbers for URLs) with a 400", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const j = JSON.stringify;
    const ep = "/api/2/episodes/alice.json";
    const sub = "/api/2/subscriptions/alice/phone.json";
    const cases: [string, string, BodyInit, number][] = [
      ["POST", ep, j({ actions: [action(1)] }), 400],
      ["POST", ep, j("play"), 400],
      ["POST", ep, j(42), 400],
      ["POST", ep, "null", 400],
      ["POST", ep, j([1]), 400],
      ["POST", ep, j([null]), 400],
      ["POST", ep, j([[action(1)]]), 400],
      ["POST", ep, j([action(1), action(2, { podcast: 5 })]), 400],
      ["POST", ep, j([action(1, { episode: { url: "x" } })]), 400],
      ["POST", ep, j([action(1, { podcast: ["https://example.org/a"] })]), 400],
      ["POST", ep, j([action(1, { action: 1 })]), 400],
      ["POST", ep, j([action(1, { position: "ten" })]), 400],
      ["POST", ep, j([action(1, { position: {} })]), 400],
      ["POST", ep, j([action(1, { started: [] })]), 400],
      ["POST", ep, j([action(1, { total: true })]), 400],
      // Numbers no client can read back as an integer.
      ["POST", ep, j([action(1), action(2, { position: 1e300 })]), 400],
      ["POST", ep, j([action(1, { position: 2 ** 53 })]), 400],
      ["POST", ep, j([action(1, { position: "99999999999999999999" })]), 400],
      ["POST", ep, j([action(1, { total: 1e300 })]), 400],
      ["POST", ep, j([action(1, { started: 1e20 })]), 400],
      ["POST", `${NC}/episode_action/create`, j([action(1, { position: 1e300 })]), 400],
      ["POST", ep, j([action(1, { device: 7 })]), 400],
      ["POST", ep, j([action(1, { timestamp: { at: 1 } })]), 400],
      ["POST", ep, j([action(1, { timestamp: [2026] })]), 400],
      ["POST", sub, j([FEED]), 400],
      ["POST", sub, j("https://example.org/a"), 400],
      ["POST", sub, j({ add: { url: FEED } }), 400],
      ["POST", sub, j({ add: "https://example.org/a" }), 400],
      ["POST", sub, j({ add: [1, 2] }), 400],
      ["POST", sub, j({ add: [], remove: [{}] }), 400],
      ["POST", sub, j({ add: [null] }), 400],
      ["POST", `${NC}/subscription_change/create`, j({ add: 5 }), 400],
      ["POST", `${NC}/episode_action/create`, j({ podcast: FEED }), 400],
      ["POST", `${NC}/episode_action/create`, j([action(1, { podcast: 1 })]), 400],
      ["POST", "/api/2/devices/alice/phone.json", j([]), 400],
      ["POST", "/api/2/devices/alice/phone.json", j({ caption: 5 }), 400],
      ["POST", "/api/2/devices/alice/phone.json", j({ caption: "x".repeat(201) }), 400],
      ["POST", "/api/2/devices/alice/phone.json", j({ type: "toaster" }), 400],
      ["POST", "/api/2/devices/alice/phone.json", j({ type: 3 }), 400],
      ["POST", "/api/2/settings/alice/account.json", j([]), 400],
      ["POST", "/api/2/settings/alice/account.json", j({ set: [1] }), 400],
      ["POST", "/api/2/settings/alice/account.json", j({ set: "x" }), 400],
      ["POST", "/api/2/settings/alice/account.json", j({ remove: { a: 1 } }), 400],
      ["POST", "/api/2/settings/alice/account.json", j({ remove: [1] }), 400],
      ["POST", "/api/2/sync-devices/alice.json", j({ synchronize: "phone" }), 400],
      ["POST", "/api/2/sync-devices/alice.json", j({ synchronize: [[1]] }), 400],
      ["POST", "/api/2/sync-devices/alice.json", j({ "stop-synchronize": 5 }), 400],
      ["PUT", "/subscriptions/alice/phone.json", j({ add: [FEED] }), 400],
      ["PUT", "/subscriptions/alice/phone.json", j([FEED, 5]), 400],
      ["PUT", "/subscriptions/alice/phone.opml", "<html><body>hi</body></html>", 400],
      ["PUT", "/subscriptions/alice/phone.opml", '<!DOCTYPE x [<!ENTITY a "b">]><opml/>', 400],
    ];
    await refuseBodies(gp, cases);
    assert.equal(await gp.head(), head);
    // The episode-action answer for what was refused is still only the seed.
    const down = await gp.get("/api/2/episodes/alice.json?since=0");
    assert.equal(down.body.actions.length, 2, down.text);
  });
});

Deno.test("episode uploads refuse impossible timestamps, unknown actions and 10,000 actions whole", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const ep = "/api/2/episodes/alice.json";
    const times: unknown[] = [
      "2024-02-30T10:00:00",
      "2023-02-29T10:00:00",
      "2024-13-01T10:00:00",
      "2024-00-10T10:00:00",
      "2024-01-01T25:00:00",
      "2024-01-01T10:61:00",
      "9999-99-99T99:99:99",
      "yesterday",
      "2024-01-01",
      "2024-01-01T10:00:00+25:00",
      "1969-12-31T23:59:59Z",
      -5,
      1e20,
      true,
    ];
    for (const timestamp of times) {
      // A good action before the bad one: the batch is refused whole.
      const r = await gp.post(ep, [action(3), action(4, { timestamp })]);
      expectError(r, 400, `timestamp ${JSON.stringify(timestamp)}`);
    }
    for (const a of ["listen", "", "PLAYED", null, ["play"], "play "]) {
      const r = await gp.post(ep, [action(3), action(4, { action: a })]);
      expectError(r, 400, `action ${JSON.stringify(a)}`);
    }
    const many = Array.from({ length: 10_000 }, (_, i) => action(i));
    const big = await gp.post(ep, many);
    assert.ok(big.status === 400 || big.status === 413, big.text);
    expectError(big, big.status, "10,000 actions");
    const nc = await gp.post(`${NC}/episode_action/create`, many);
    expectError(nc, big.status, "10,000 Nextcloud actions");
    // The most one upload may carry, with the very last action bad: nothing is written.
    const nearlyAll = Array.from({ length: 1_999 }, (_, i) => action(i));
    const lastBad = await gp.post(ep, [
      ...nearlyAll,
      action(5, { timestamp: "2024-02-30T00:00:00" }),
    ]);
    expectError(lastBad, 400, "1,999 good actions and a bad one");
    assert.equal(await gp.head(), head);
    // A clock far ahead is not an error: the action is taken as happening now.
    const ahead = await gp.post(ep, [action(6, { timestamp: "2999-01-01T00:00:00" })]);
    assert.equal(ahead.status, 200, ahead.text);
    const down = await gp.get("/api/2/episodes/alice.json?since=0");
    const six = down.body.actions.find((a: Json) => a.episode.endsWith("/6.mp3"));
    assert.equal(six.timestamp, "2026-01-15T10:00:00");
  });
});

Deno.test('episode actions with a guid of "" or "null" count as having none', async () => {
  await withGp(async (gp) => {
    const up = await gp.post("/api/2/episodes/alice.json", [
      action(1, { guid: "null" }),
      action(2, { guid: "", action: "download" }),
      action(3, { guid: null }),
      action(4, { guid: "real-guid" }),
    ]);
    assert.equal(up.status, 200, up.text);
    const down = await gp.get("/api/2/episodes/alice.json?since=0");
    const byEpisode = new Map(down.body.actions.map((a: Json) => [a.episode.split("/").pop(), a]));
    for (const n of ["1", "2", "3"]) {
      const a = byEpisode.get(`${n}.mp3`) as Json;
      assert.ok(a, `${n}: ${down.text}`);
      assert.equal("guid" in a, false, JSON.stringify(a));
    }
    assert.equal((byEpisode.get("4.mp3") as Json).guid, "real-guid");
    // The same episode later without a guid: still no guid, the newer position wins.
    const later = { position: 99, timestamp: "2026-01-15T09:30:00" };
    await gp.post("/api/2/episodes/alice.json", [action(1, later)]);
    const all = await gp.get("/api/2/episodes/alice.json?since=0");
    const ones = all.body.actions.filter((a: Json) => a.episode.endsWith("/1.mp3"));
    assert.deepEqual(ones.map((a: Json) => [a.position, "guid" in a]), [[11, false], [99, false]]);
    const last = await gp.get("/api/2/episodes/alice.json?since=0&aggregated=true");
    const one = last.body.actions.filter((a: Json) => a.episode.endsWith("/1.mp3"));
    assert.deepEqual(one.map((a: Json) => a.position), [99]);
  });
});

Deno.test("a username in the path that is not the caller's is 400 on every gpodder route", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const routes: [string, string, unknown?][] = [
      ["POST", "/api/2/auth/bob/login.json"],
      ["POST", "/api/2/auth/bob/logout.json"],
      ["GET", "/api/2/devices/bob.json"],
      ["POST", "/api/2/devices/bob/phone.json", { caption: "x" }],
      ["GET", "/api/2/subscriptions/bob/phone.json?since=0"],
      ["POST", "/api/2/subscriptions/bob/phone.json", { add: [FEED] }],
      ["GET", "/api/2/episodes/bob.json?since=0"],
      ["POST", "/api/2/episodes/bob.json", [action(9)]],
      ["GET", "/api/2/favorites/bob.json"],
      ["GET", "/api/2/sync-devices/bob.json"],
      ["POST", "/api/2/sync-devices/bob.json", { synchronize: [["a", "b"]] }],
      ["GET", "/api/2/settings/bob/account.json"],
      ["POST", "/api/2/settings/bob/account.json", { set: { a: 1 } }],
      ["GET", "/subscriptions/bob.json"],
      ["GET", "/subscriptions/bob/phone.opml"],
      ["PUT", "/subscriptions/bob/phone.txt", undefined],
      ["GET", "/api/2/episodes/ALICE-not.json"],
    ];
    for (const [method, path, json] of routes) {
      expectError(await gp.call(method, path, { json }), 400, `${method} ${path}`);
    }
    // Any case of one's own name is one's own.
    const mine = await gp.get("/api/2/devices/ALICE.json");
    assert.equal(mine.status, 200, mine.text);
    assert.equal(await gp.head(), head);
  });
});

Deno.test("percent signs and broken escapes in path names are 4xx, never a 500", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const names = ["%25", "%25E0", "%E0", "%E0%A4%A", "%25zz", "%"];
    for (const n of names) {
      const routes: [string, string, unknown?][] = [
        ["GET", `/subscriptions/${n}.json`],
        ["GET", `/subscriptions/alice/${n}.txt`],
        ["PUT", `/subscriptions/alice/${n}.txt`, "x"],
        ["GET", `/api/2/devices/${n}.json`],
        ["POST", `/api/2/devices/alice/${n}.json`, {}],
        ["GET", `/api/2/episodes/${n}.json`],
        ["POST", `/api/2/episodes/${n}.json`, [action(9)]],
        ["GET", `/api/2/subscriptions/alice/${n}.json`],
        ["POST", `/api/2/subscriptions/alice/${n}.json`, { add: [FEED] }],
        ["GET", `/api/2/settings/alice/${n}.json`],
        ["GET", `/api/2/favorites/${n}.json`],
        ["POST", `/api/2/sync-devices/${n}.json`, {}],
        ["GET", `/toplist/${n}.json`],
        ["POST", `/api/2/auth/${n}/login.json`],
      ];
      for (const [method, path, json] of routes) {
        const r = await gp.call(method, path, { json });
        expectError(r, r.status, `${method} ${path}`);
        assert.ok(r.status >= 400, `${method} ${path}: ${r.status}`);
      }
    }
    assert.equal(await gp.head(), head);
  });
});

Deno.test("bad device ids (slashes, 65 characters, unicode) are refused with a 4xx", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const long = "d".repeat(65);
    for (const id of ["a%2Fb", long, "t%C3%A9l%C3%A9phone", "ph%20one", "a%00b", "%F0%9F%93%B1"]) {
      for (
        const [method, path, json] of [
          ["POST", `/api/2/devices/alice/${id}.json`, { caption: "x" }],
          ["GET", `/api/2/subscriptions/alice/${id}.json?since=0`],
          ["POST", `/api/2/subscriptions/alice/${id}.json`, { add: [FEED] }],
          ["GET", `/subscriptions/alice/${id}.txt`],
          ["PUT", `/subscriptions/alice/${id}.json`, [FEED]],
          ["GET", `/api/2/episodes/alice.json?device=${id}`],
          ["GET", `/api/2/settings/alice/device.json?device=${id}`],
        ] as [string, string, unknown?][]
      ) {
        expectError(await gp.call(method, path, { json }), 400, `${method} ${path}`);
      }
    }
    // A literal slash is another path: a JSON 404, still not cacheable.
    expectError(await gp.post("/api/2/devices/alice/a/b.json", {}), 404, "slash in the path");
    for (const device of ["a/b", long, "téléphone", "📱", 5, ["phone"]]) {
      const r = await gp.post("/api/2/episodes/alice.json", [action(1), action(2, { device })]);
      expectError(r, 400, `action device ${JSON.stringify(device)}`);
    }
    const sync = await gp.post("/api/2/sync-devices/alice.json", { synchronize: [["a/b", "c"]] });
    expectError(sync, 400, "sync group with a bad id");
    assert.equal(await gp.head(), head);
    const devices = await gp.get("/api/2/devices/alice.json");
    assert.deepEqual(devices.body.map((d: Json) => d.id), ["phone"]);
  });
});

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("bodies over 10 MiB and gzip bombs are 413, broken gzip is 400, nothing written", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const eleven = 11 * 1024 * 1024;
    // A valid JSON list that is simply too large.
    const huge = `[${" ".repeat(eleven)}]`;
    const bomb = await gzip(new TextEncoder().encode(huge));
    assert.ok(bomb.length < 64 * 1024, `the bomb is small (${bomb.length} bytes)`);
    const broken = new Uint8Array([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]);
    const uploads: [string, string][] = [
      ["POST", "/api/2/episodes/alice.json"],
      ["POST", "/api/2/subscriptions/alice/phone.json"],
      ["PUT", "/subscriptions/alice/phone.txt"],
      ["POST", `${NC}/episode_action/create`],
      ["POST", `${NC}/subscription_change/create`],
      ["POST", "/index.php/login/v2/poll"],
    ];
    for (const [method, path] of uploads) {
      expectError(await gp.call(method, path, { raw: huge }), 413, `${path} huge`);
      const gz = { "Content-Encoding": "gzip" };
      expectError(
        await gp.call(method, path, { raw: bomb, headers: gz }),
        413,
        `${path} gzip bomb`,
      );
      // Gzip recognised by its magic bytes alone, as some clients send it.
      expectError(await gp.call(method, path, { raw: bomb }), 413, `${path} unlabelled bomb`);
      expectError(await gp.call(method, path, { raw: broken, headers: gz }), 400, `${path} broken`);
    }
    assert.equal(await gp.head(), head);
    // A real gzip upload still works.
    const ok = await gp.call("POST", "/api/2/episodes/alice.json", {
      raw: await gzip(new TextEncoder().encode(JSON.stringify([action(7)]))),
      headers: { "Content-Encoding": "gzip" },
    });
    assert.equal(ok.status, 200, ok.text);
  });
});

Deno.test("since=-1, since=abc and other non-times are 400 on every since endpoint", async () => {
  await withGp(async (gp) => {
    const paths = [
      "/api/2/subscriptions/alice/phone.json",
      "/api/2/episodes/alice.json",
      `${NC}/subscriptions`,
      `${NC}/episode_action`,
    ];
    for (const path of paths) {
      for (const since of ["-1", "abc", "1e3", "0x10", "99999999999999", "NaN", "%00"]) {
        expectError(await gp.get(`${path}?since=${since}`), 400, `${path}?since=${since}`);
      }
      const ok = await gp.get(`${path}?since=0`);
      assert.equal(ok.status, 200, ok.text);
    }
  });
});

Deno.test("the same URL in add and remove is 400 and changes nothing", async () => {
  await withGp(async (gp) => {
    const head = await seed(gp);
    const same = [
      { add: ["https://example.org/x.xml"], remove: ["https://example.org/x.xml"] },
      { add: [" https://example.org/x.xml"], remove: ["https://example.org/x.xml  "] },
      { add: [FEED, "https://example.org/y.xml"], remove: ["https://example.org/y.xml"] },
    ];
    for (const body of same) {
      expectError(await gp.post("/api/2/subscriptions/alice/phone.json", body), 400, "v2");
      expectError(await gp.post(`${NC}/subscription_change/create`, body), 400, "Nextcloud");
    }
    assert.equal(await gp.head(), head);
  });
});

Deno.test("unknown settings scopes and missing scope targets are 4xx", async () => {
  await withGp(async (gp) => {
    for (const scope of ["bogus", "ACCOUNT", "account.json", "__proto__", "constructor"]) {
      const path = `/api/2/settings/alice/${scope}.json`;
      expectError(await gp.get(path), 400, `GET ${scope}`);
      expectError(await gp.post(path, { set: { a: 1 } }), 400, `POST ${scope}`);
    }
    expectError(await gp.get("/api/2/settings/alice/account.xml"), 404, "not .json");
    expectError(await gp.get("/api/2/settings/alice/podcast.json"), 400, "podcast, no url");
    expectError(await gp.get("/api/2/settings/alice/episode.json?podcast=x"), 400, "no episode");
    expectError(await gp.get("/api/2/settings/alice/device.json"), 400, "device, no id");
    const set = await gp.post("/api/2/settings/alice/account.json", { set: { a: 1, b: "x" } });
    assert.deepEqual(set.body, { a: 1, b: "x" });
    // A null value removes the setting (an answer never carries null).
    const cleared = await gp.post("/api/2/settings/alice/account.json", { set: { a: null } });
    assert.deepEqual(cleared.body, { b: "x" });
  });
});
