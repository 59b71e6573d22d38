import assert from "node:assert/strict";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { Browser, csrfOf, userWithApp } from "../_support/auth_app.ts";
import { generateAppKeys, requestJwt } from "../_support/jwt.ts";
import { buildPageApp, loggedIn, PW, seqOf } from "./_pages.ts";

const OPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="News">
    <outline type="rss" text="A" xmlUrl="https://feeds.example.org/a.xml"/>
    <outline type="rss" text="B" xmlUrl="https://feeds.example.org/b.xml"/>
  </outline>
  <outline type="rss" text="A again" xmlUrl="https://feeds.example.org/a.xml"/>
  <outline type="rss" text="Known" xmlUrl="https://feeds.example.org/known.xml"/>
  <outline type="rss" text="Bad" xmlUrl="ftp://feeds.example.org/c.xml"/>
  <outline type="rss" text="Worse" xmlUrl="not a url"/>
</body></opml>`;

/** Posts an OPML file as a browser's multipart upload. */
async function upload(b: Browser, csrf: string, opml: string | null): Promise<Response> {
  const form = new FormData();
  form.set("csrf", csrf);
  if (opml !== null) {
    form.set("opml", new File([opml], "subscriptions.opml", { type: "text/x-opml" }));
  }
  return await b.request("/subscriptions.opml", { method: "POST", body: form });
}

function countsOf(location: string): Record<string, number> {
  const q = new URL(location, "http://x").searchParams;
  return {
    imported: Number(q.get("imported")),
    skipped: Number(q.get("skipped")),
    invalid: Number(q.get("invalid")),
  };
}

Deno.test("OPML import on the page gives the API's counts for the same file, and the export re-imports with the same counts", async () => {
  const t = await buildPageApp();
  try {
    const keys = await generateAppKeys("ES256");
    // The API's user and the page's user both already follow one of the feeds.
    const { user: api, appId } = await userWithApp(t, keys, { username: "apiuser" });
    const known = {
      type: "Subscribe" as const,
      data: { feed: encodeFeedId("https://feeds.example.org/known.xml") },
    };
    await t.deps.registry.execute(api.id, known);
    const jwt = await requestJwt(keys, { appId, sub: api.id, nowMs: t.clock.now() });
    const byApi = await t.app.request("/api/v1/subscriptions/import", {
      method: "POST",
      headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "text/x-opml" },
      body: OPML,
    });
    assert.equal(byApi.status, 200);
    const apiCounts = await byApi.json();
    assert.deepEqual(apiCounts, { imported: 2, skipped: 2, invalid: 2 });

    const { b, userId } = await loggedIn(t, "alice");
    await t.deps.registry.execute(userId, known);
    const page = await (await b.get("/subscriptions")).text();
    assert.match(page, /enctype="multipart\/form-data"/);
    assert.match(page, /<label for="opml-file">OPML file<\/label>/);
    const res = await upload(b, csrfOf(page), OPML);
    assert.equal(res.status, 303);
    assert.deepEqual(countsOf(res.headers.get("Location")!), apiCounts);
    const shown = await (await b.get(res.headers.get("Location")!)).text();
    assert.match(shown, /Import finished: 2 imported, 2 skipped .*, 2 invalid\./);

    const exported = await b.get("/subscriptions.opml");
    assert.equal(exported.status, 200);
    assert.equal(exported.headers.get("content-type"), "text/x-opml; charset=utf-8");
    assert.equal(
      exported.headers.get("content-disposition"),
      'attachment; filename="subscriptions.opml"',
    );
    const xml = await exported.text();
    assert.match(xml, /<title>alice&apos;s podcasts \(Balados Sync\)<\/title>|alice's podcasts/);
    // The API's export of the same subscriptions is the same document.
    const jwt2 = await requestJwt(keys, { appId, sub: api.id, nowMs: t.clock.now() });
    const apiXml = await (await t.app.request("/api/v1/subscriptions/export.opml", {
      headers: { Authorization: `Bearer ${jwt2}` },
    })).text();
    assert.equal(
      xml.replace(/<title>.*<\/title>/, ""),
      apiXml.replace(/<title>.*<\/title>/, ""),
    );

    const bob = new Browser(t.app);
    await bob.register("bob", PW);
    const back = await upload(bob, csrfOf(await (await bob.get("/subscriptions")).text()), xml);
    assert.deepEqual(countsOf(back.headers.get("Location")!), {
      imported: 3,
      skipped: 0,
      invalid: 0,
    });
    const again = await upload(b, csrfOf(page), xml);
    assert.deepEqual(countsOf(again.headers.get("Location")!), {
      imported: 0,
      skipped: 3,
      invalid: 0,
    });
  } finally {
    await t.close();
  }
});

Deno.test("OPML import refuses a missing file, an empty one, a non-OPML one or a DOCTYPE on the form, writing nothing", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const csrf = csrfOf(await (await b.get("/subscriptions")).text());
    const cases: [string | null, RegExp][] = [
      [null, /Choose an OPML file to import/],
      ["", /Choose an OPML file to import/],
      ["   \n", /The OPML file is empty/],
      ["<html><body>hello</body></html>", /not an OPML document/],
      [
        '<!DOCTYPE opml [<!ENTITY x "y">]><opml><body><outline xmlUrl="https://a.example/&x;"/></body></opml>',
        /DOCTYPE or entity declarations is refused/,
      ],
    ];
    for (const [file, message] of cases) {
      const res = await upload(b, csrf, file);
      assert.equal(res.status, 422, String(file).slice(0, 30));
      const html = await res.text();
      assert.match(html, message);
      assert.match(html, /id="opml-file-error"/);
    }
    const urlencoded = await b.post("/subscriptions.opml", { csrf, opml: "<opml/>" });
    assert.equal(urlencoded.status, 422);
    assert.equal(await seqOf(t, userId), 0);
  } finally {
    await t.close();
  }
});

Deno.test("OPML export needs a session: a visitor is sent to log in and back", async () => {
  const t = await buildPageApp();
  try {
    const res = await new Browser(t.app).get("/subscriptions.opml");
    assert.equal(res.status, 303);
    assert.equal(
      res.headers.get("Location"),
      "/users/log_in?return_to=%2Fsubscriptions.opml",
    );
  } finally {
    await t.close();
  }
});
