/**
 * The guard thread's entry (see guard_thread.ts): runs a {@linkcode ConnectionGuard} over
 * the shared peer table and counters it is given, and says when it listens.
 */
import { ConnectionGuard } from "./guard.ts";
import { type GuardThreadOptions, sharedCounters, SharedPeerTable } from "./guard_thread.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
let guard: ConnectionGuard | undefined;

scope.onmessage = (e: MessageEvent) => {
  const msg = e.data as
    | {
      type: "start";
      options: GuardThreadOptions;
      peers: SharedArrayBuffer;
      counters: SharedArrayBuffer;
    }
    | { type: "stop" };
  if (msg.type === "stop") {
    guard?.stopAccepting();
    return;
  }
  if (guard) return;
  guard = new ConnectionGuard({
    ...msg.options,
    peers: new SharedPeerTable(msg.peers),
    counters: sharedCounters(msg.counters),
    onListen: (addr) => scope.postMessage({ type: "listening", addr }),
  });
  guard.serve().catch((err) => scope.postMessage({ type: "error", message: String(err) }));
};
