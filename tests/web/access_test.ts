import assert from "node:assert/strict";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { Browser, kvSnapshot } from "../_support/auth_app.ts";
import { buildPageApp, PW } from "./_pages.ts";

const FEED = encodeFeedId("https://feeds.example.org/show.xml");
const ITEM = encodeItemId("ep-1", "https://cdn.example.org/ep-1.mp3");

Deno.test("listener pages send a visitor to log in and back to the same page", async () => {
  const t = await buildPageApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice", PW);
    const logOut = await b.get("/history");
    const csrf = /name="csrf" value="([^"]+)"/.exec(await logOut.text())![1];
    await b.post("/users/log_out", { csrf });
    for (
      const path of [
        "/subscriptions",
        "/subscriptions.opml",
        `/podcasts/${FEED}`,
        `/episodes/${ITEM}?feed=${FEED}`,
        "/history?filter=played",
      ]
    ) {
      const res = await b.get(path);
      assert.equal(res.status, 303, path);
      const location = res.headers.get("Location")!;
      assert.equal(location, `/users/log_in?return_to=${encodeURIComponent(path)}`, path);
      const login = await b.get(location);
      const form = await login.text();
      const back = await b.post("/users/log_in", {
        csrf: /name="csrf" value="([^"]+)"/.exec(form)![1],
        username: "alice",
        password: PW,
        return_to: path,
      });
      assert.equal(back.status, 303);
      assert.equal(back.headers.get("Location"), path);
      const again = await b.get("/history");
      const token = /name="csrf" value="([^"]+)"/.exec(await again.text())![1];
      await b.post("/users/log_out", { csrf: token });
    }
  } finally {
    await t.close();
  }
});

Deno.test("listener forms posted without a session go to log in and write nothing", async () => {
  const t = await buildPageApp();
  try {
    const before = await kvSnapshot(t.kv);
    const b = new Browser(t.app);
    for (
      const path of [
        "/subscriptions",
        `/podcasts/${FEED}/subscribe`,
        `/podcasts/${FEED}/unsubscribe`,
      ]
    ) {
      const res = await b.post(path, { csrf: "x", url: "https://feeds.example.org/a.xml" });
      assert.equal(res.status, 303, path);
      assert.match(res.headers.get("Location")!, /^\/users\/log_in\?return_to=/);
    }
    assert.deepEqual(await kvSnapshot(t.kv), before);
  } finally {
    await t.close();
  }
});
