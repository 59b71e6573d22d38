/** In-process Prometheus metrics: labelled counters, gauges and one latency histogram. */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Counters and a request-latency histogram kept in memory for `/metrics`. */
export class Metrics {
  #counters = new Map<string, { help: string; values: Map<string, number> }>();
  #guard:
    | { open: number; refused: number; headerTimeouts: number; idleTimeouts: number }
    | undefined;

  /** Reports the connection guard's counters with the rest. */
  attachGuard(
    stats: { open: number; refused: number; headerTimeouts: number; idleTimeouts: number },
  ) {
    this.#guard = stats;
  }
  #latency = new Map<string, { counts: number[]; sum: number; count: number }>();

  /** Adds `by` to a labelled counter. */
  inc(name: string, help: string, labels: Record<string, string> = {}, by = 1): void {
    let c = this.#counters.get(name);
    if (!c) this.#counters.set(name, c = { help, values: new Map() });
    const lt = labelText(labels);
    c.values.set(lt, (c.values.get(lt) ?? 0) + by);
  }

  /** Records one request's duration in seconds under its route. */
  observeLatency(route: string, seconds: number): void {
    let h = this.#latency.get(route);
    if (!h) this.#latency.set(route, h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 });
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** Prometheus text for the in-memory metrics plus the given gauges. */
  render(gauges: ReadonlyArray<{ name: string; help: string; value: number; type?: string }>) {
    const out: string[] = [];
    for (const [name, c] of this.#counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [lt, v] of c.values) out.push(`${name}${lt} ${v}`);
    }
    const h = "http_request_duration_seconds";
    out.push(`# HELP ${h} Request latency by route.`, `# TYPE ${h} histogram`);
    for (const [route, v] of this.#latency) {
      BUCKETS.forEach((b, i) =>
        out.push(`${h}_bucket${labelText({ route, le: String(b) })} ${v.counts[i]}`)
      );
      out.push(`${h}_bucket${labelText({ route, le: "+Inf" })} ${v.count}`);
      out.push(`${h}_sum${labelText({ route })} ${v.sum}`);
      out.push(`${h}_count${labelText({ route })} ${v.count}`);
    }
    const guard = this.#guard;
    const all = guard
      ? [
        ...gauges,
        { name: "balados_connections_open", help: "Client connections open.", value: guard.open },
        {
          name: "balados_connections_refused_total",
          help: "Connections refused (per-address or total cap).",
          value: guard.refused,
          type: "counter",
        },
        {
          name: "balados_connections_header_timeouts_total",
          help: "Connections closed for headers not complete in time.",
          value: guard.headerTimeouts,
          type: "counter",
        },
        {
          name: "balados_connections_idle_timeouts_total",
          help: "Connections closed for silence.",
          value: guard.idleTimeouts,
          type: "counter",
        },
      ]
      : gauges;
    for (const g of all) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type ?? "gauge"}`);
      out.push(`${g.name} ${g.value}`);
    }
    return out.join("\n") + "\n";
  }
}
