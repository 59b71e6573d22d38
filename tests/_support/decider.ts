/** given/when/then for the pure decider (emmett style). */
import assert from "node:assert/strict";
import type { Command, CommandMeta } from "../../src/domain/commands.ts";
import { decide } from "../../src/domain/decide.ts";
import type { StoredEvent, UserEvent } from "../../src/domain/events.ts";
import { EMPTY_STATE, evolveAll, type UserState } from "../../src/domain/state.ts";

export const META: CommandMeta = { now: "2026-01-15T10:00:00.000Z", idPrefix: "t" };

/** Numbers events as a store would. */
export function stored(events: readonly UserEvent[], from = 1): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: from + i, user_id: "u1" }) as StoredEvent);
}

/** A command with the test meta. */
export function cmd<C extends Command>(c: Omit<C, "meta">, meta: Partial<CommandMeta> = {}): C {
  return { ...c, meta: { ...META, ...meta } } as C;
}

/** `given(events).when(command).then(expected)` / `.thenThrows(code)`. */
export function given(events: readonly UserEvent[]) {
  const state: UserState = evolveAll(EMPTY_STATE, stored(events));
  return {
    state,
    when(command: Command) {
      return {
        then(expected: readonly Record<string, unknown>[]) {
          const got = decide(state, command);
          assert.equal(got.length, expected.length, `events: ${JSON.stringify(got)}`);
          expected.forEach((e, i) => assert.partialDeepStrictEqual(got[i], e));
          return got;
        },
        thenThrows(code: string) {
          assert.throws(
            () => decide(state, command),
            (err: { code?: string }) => err.code === code,
          );
        },
      };
    },
  };
}
