import assert from "node:assert/strict";
import {
  describeScope,
  hasScope,
  isKnownScope,
  KNOWN_SCOPES,
  scopeCovers,
  validateRequestedScopes,
} from "../../src/domain/scopes.ts";
import { ValidationError } from "../../src/domain/errors.ts";

/** [granted, required, covers?] */
const MATRIX: readonly [string, string, boolean][] = [
  ["*", "user.subscriptions.write", true],
  ["*", "user.sync", true],
  ["*", "user", true],
  ["*.read", "user.subscriptions.read", true],
  ["*.read", "user.read", true],
  ["*.read", "user.plays.write", false],
  ["*.read", "user.plays", false],
  ["*.read", "user.sync", false],
  ["*.write", "user.playlists.write", true],
  ["*.write", "user.playlists.read", false],
  ["user", "user.privacy.write", true],
  ["user", "user.sync", true],
  ["user", "user", true],
  ["user.*", "user.subscriptions.read", true],
  ["user.*", "user.sync", true],
  ["user.*", "users.x", false],
  ["user.*", "user", false],
  ["user.read", "user.plays.read", true],
  ["user.read", "user.read", true],
  ["user.read", "user.plays.write", false],
  ["user.read", "user", false],
  ["user.write", "user.privacy.write", true],
  ["user.write", "user.sync", false],
  ["user.plays", "user.plays.read", true],
  ["user.plays", "user.plays.write", true],
  ["user.plays", "user.playlists.read", false],
  ["user.plays.read", "user.plays.read", true],
  ["user.plays.read", "user.plays", false],
  ["user.plays.read", "user.plays.write", false],
  ["user.*.read", "user.plays.read", true],
  ["user.*.read", "user.privacy.read", true],
  ["user.*.read", "user.read", false],
  ["user.*.read", "user.plays.write", false],
  ["user.*.write", "user.playlists.write", true],
  ["user.subscriptions", "user.subscriptions.read", true],
  ["user.subscriptions", "user.subscriptions_x.read", false],
  ["user.sync", "user.sync", true],
  ["user.sync", "user.privacy.read", false],
  ["user.privacy.write", "user.privacy.read", false],
];

for (const [granted, required, expected] of MATRIX) {
  Deno.test(`scopeCovers() with ${granted} ${expected ? "covers" : "does not cover"} ${required}`, () => {
    assert.equal(scopeCovers(granted, required), expected);
  });
}

Deno.test("hasScope() with user.sync allows reading and writing subscriptions, plays and playlists", () => {
  for (const area of ["subscriptions", "plays", "playlists"]) {
    for (const action of ["", ".read", ".write"]) {
      assert.equal(hasScope(["user.sync"], `user.${area}${action}`), true, area + action);
    }
  }
});

Deno.test("hasScope() with user.sync refuses privacy outside the sync endpoint", () => {
  assert.equal(hasScope(["user.sync"], "user.privacy.write"), false);
  assert.equal(hasScope(["user.sync"], "user.read"), false);
});

Deno.test("hasScope() with user.sync covers every user scope on the sync endpoint", () => {
  assert.equal(hasScope(["user.sync"], "user.privacy.write", { endpoint: "sync" }), true);
  assert.equal(hasScope(["user.sync"], "user.read", { endpoint: "sync" }), true);
});

Deno.test("hasScope() with several grants is satisfied by any one of them", () => {
  assert.equal(hasScope(["user.plays.read", "user.playlists"], "user.playlists.write"), true);
  assert.equal(hasScope(["user.plays.read", "user.playlists"], "user.plays.write"), false);
  assert.equal(hasScope([], "user.read"), false);
});

Deno.test("isKnownScope() accepts the listed scopes and wildcard grants", () => {
  for (const s of KNOWN_SCOPES) assert.equal(isKnownScope(s), true, s);
  for (const s of ["user.*", "user.*.read", "user.*.write"]) assert.equal(isKnownScope(s), true, s);
});

Deno.test("isKnownScope() refuses made-up scopes", () => {
  for (const s of ["admin", "users.*", "user.*.delete", "user.plays.delete", "", "user..read"]) {
    assert.equal(isKnownScope(s), false, s);
  }
});

Deno.test("validateRequestedScopes() names every unknown scope in its message", () => {
  assert.throws(
    () => validateRequestedScopes(["user.sync", "admin", "user.plays.delete"]),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.code, "invalid_scope");
      assert.match(err.message, /"admin"/);
      assert.match(err.message, /"user\.plays\.delete"/);
      return true;
    },
  );
});

Deno.test("validateRequestedScopes() refuses an empty list and non-lists", () => {
  for (const bad of [[], "user.sync", null, [42]]) {
    assert.throws(() => validateRequestedScopes(bad), ValidationError);
  }
});

Deno.test("validateRequestedScopes() drops duplicates", () => {
  assert.deepEqual(validateRequestedScopes(["user.sync", "user.sync", "*.read"]), [
    "user.sync",
    "*.read",
  ]);
});

Deno.test("describeScope() explains every requestable scope in words", () => {
  for (const s of [...KNOWN_SCOPES, "user.*", "user.*.read", "user.*.write"]) {
    const words = describeScope(s);
    assert.ok(words.length > 10 && !words.includes("*"), `${s}: ${words}`);
  }
  assert.match(describeScope("user.*.read"), /^Read .*listening history/);
});
