import { Gauge, type Registry } from "prom-client";

/** One gauge read from a snapshot: its name after the family prefix, its help text, and the figure it shows. */
export type SnapshotGauge<S> = readonly [name: string, help: string, pick: (snapshot: S) => number];

/**
 * Gauges set from one snapshot function at scrape time, for figures another object keeps itself (the codec pool's,
 * the audit trail's): nothing is counted twice and nothing runs on the hot path.
 */
export function registerSnapshotGauges<S>(registry: Registry, prefix: string, snapshot: () => S, gauges: readonly SnapshotGauge<S>[]): void {
  for (const [name, help, pick] of gauges) {
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(pick(snapshot()));
      },
    });
  }
}
