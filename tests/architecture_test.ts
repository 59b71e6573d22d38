/** Rules of ARCHITECTURE.md enforced by tests, not by review. */
import assert from "node:assert/strict";
import { ActorRegistry } from "../actors/registry.ts";

async function* sources(dir: URL): AsyncGenerator<{ path: string; text: string }> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sources(url);
    else if (/\.tsx?$/.test(entry.name)) {
      yield { path: url.pathname, text: await Deno.readTextFile(url) };
    }
  }
}

Deno.test("imports point down: nothing in src/ imports jobs/, routes/ or actors/ (but the composition)", async () => {
  let files = 0;
  for await (const { path, text } of sources(new URL("../src/", import.meta.url))) {
    files++;
    if (path.endsWith("/src/services.ts")) continue;
    assert.doesNotMatch(text, /from "(\.\.\/)+(jobs|routes|actors)\//, `${path} imports upward`);
  }
  assert.ok(files > 50);
});

Deno.test("no folder imports another folder's _private.ts", async () => {
  for (const top of ["src", "routes", "actors", "jobs"]) {
    for await (const { path, text } of sources(new URL(`../${top}/`, import.meta.url))) {
      for (const m of text.matchAll(/from "([^"]*\/_[a-z_]+\.tsx?)"/g)) {
        assert.ok(m[1].startsWith("./_"), `${path} imports ${m[1]}`);
      }
    }
  }
});

Deno.test("actors run only domain commands: the registry offers no closure entry point", () => {
  const methods = Object.getOwnPropertyNames(ActorRegistry.prototype);
  assert.ok(methods.includes("execute"));
  assert.ok(!methods.includes("run"), "a closure would let a route decide");
});
