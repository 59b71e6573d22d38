import assert from "node:assert/strict";
import { RuleViolation, ValidationError } from "../../src/domain/errors.ts";
import {
  authenticate,
  createUser,
  findUserBySub,
  getUserById,
  getUserByUsername,
} from "../../src/auth/users.ts";
import { buildAuthApp } from "../_support/auth_app.ts";

const PW = "correct horse battery";

Deno.test("createUser() makes the first user admin and the second a plain user", async () => {
  const t = await buildAuthApp();
  try {
    const first = await createUser(t.deps, { username: "root", password: PW });
    const second = await createUser(t.deps, { username: "bob", password: PW });
    assert.equal(first.role, "admin");
    assert.equal(second.role, "user");
  } finally {
    await t.close();
  }
});

Deno.test("createUser() racing on an empty instance makes exactly one admin", async () => {
  const t = await buildAuthApp();
  try {
    const users = await Promise.all(
      ["usr1", "usr2", "usr3", "usr4"].map((username) =>
        createUser(t.deps, { username, password: PW })
      ),
    );
    assert.equal(users.filter((u) => u.role === "admin").length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("createUser() refuses a username taken in another case", async () => {
  const t = await buildAuthApp();
  try {
    const alice = await createUser(t.deps, { username: "Alice", password: PW });
    assert.equal(alice.username, "alice");
    await assert.rejects(
      createUser(t.deps, { username: "ALICE", password: PW }),
      (err: unknown) => err instanceof RuleViolation && err.code === "conflict",
    );
  } finally {
    await t.close();
  }
});

Deno.test("createUser() refuses bad usernames, short passwords and bad emails, per field", async () => {
  const t = await buildAuthApp();
  try {
    for (const username of ["ab", "a".repeat(33), "with space", "émile", "semi;colon", ""]) {
      await assert.rejects(
        createUser(t.deps, { username, password: PW }),
        (err: unknown) => err instanceof ValidationError && "username" in (err.details ?? {}),
        username,
      );
    }
    await assert.rejects(
      createUser(t.deps, { username: "carol", password: "short" }),
      (err: unknown) => err instanceof ValidationError && "password" in (err.details ?? {}),
    );
    await assert.rejects(
      createUser(t.deps, { username: "carol", password: PW, email: "not-an-email" }),
      (err: unknown) => err instanceof ValidationError && "email" in (err.details ?? {}),
    );
    const ok = await createUser(t.deps, { username: "c.a-r_0l", password: PW, email: "c@x.org" });
    assert.equal(ok.email, "c@x.org");
  } finally {
    await t.close();
  }
});

Deno.test("users can be found by id, by username in any case, and by a JWT sub of either", async () => {
  const t = await buildAuthApp();
  try {
    const u = await createUser(t.deps, { username: "dave", password: PW });
    assert.equal((await getUserById(t.deps, u.id))?.username, "dave");
    assert.equal((await getUserByUsername(t.deps, "DAVE"))?.id, u.id);
    assert.equal((await findUserBySub(t.deps, u.id))?.id, u.id);
    assert.equal((await findUserBySub(t.deps, "dave"))?.id, u.id);
    assert.equal(await findUserBySub(t.deps, "x".repeat(5000)), null);
    assert.equal(await getUserById(t.deps, "nope"), null);
  } finally {
    await t.close();
  }
});

Deno.test("authenticate() returns the user for the right password only", async () => {
  const t = await buildAuthApp();
  try {
    const u = await createUser(t.deps, { username: "erin", password: PW });
    assert.equal((await authenticate(t.deps, "Erin", PW))?.id, u.id);
    assert.equal(await authenticate(t.deps, "erin", PW + "x"), null);
    assert.equal(await authenticate(t.deps, "nobody", PW), null);
    assert.equal(await authenticate(t.deps, "erin", "x".repeat(100_000)), null);
  } finally {
    await t.close();
  }
});

Deno.test("authenticate() upgrades a hash made with fewer iterations than configured", async () => {
  const t = await buildAuthApp();
  try {
    const u = await createUser(t.deps, { username: "fred", password: PW });
    const stronger = { ...t.deps, passwordIterations: 2_000 };
    await authenticate(stronger, "fred", PW);
    const after = await getUserById(t.deps, u.id);
    assert.match(after!.password_hash, /^pbkdf2-sha256\$2000\$/);
    assert.equal((await authenticate(stronger, "fred", PW))?.id, u.id);
  } finally {
    await t.close();
  }
});
