/** The `Router` section: rules, retry policy, the queue file. */

import { isAbsolute, join, resolve } from "node:path";
import { z } from "@dicomtls/plugin-api";
import { MATCH_KEYS } from "./match.js";

export const ROUTER_SETTINGS_KEY = "Router";
/** Retries double up to this (the "doubles up to 10 minutes"). */
export const MAX_RETRY_INTERVAL_SECONDS = 600;

const Rule = z.strictObject({
  Name: z.string().min(1),
  /** CallingAet and DICOM keywords of the header; values may use * and ?. An empty Match matches everything. */
  Match: z
    .record(z.string(), z.string())
    .default({})
    .refine((m) => Object.keys(m).every((k) => MATCH_KEYS.has(k)), { message: `Match keys are ${[...MATCH_KEYS].join(", ")}` }),
  Destinations: z.array(z.string().min(1)).min(1),
});

export const routerSettings = z
  .strictObject({
    Rules: z.array(Rule).default([]),
    RetryIntervalSeconds: z.number().int().min(1).default(5),
    MaxAgeSeconds: z.number().int().min(1).default(86_400),
    ConcurrencyPerDestination: z.number().int().min(1).max(16).default(2),
    /** Instances per association (one association sends a batch of waiting jobs). */
    BatchSize: z.number().int().min(1).max(1000).default(32),
    /** The SQLite queue; relative to the configuration file. Default router-queue.sqlite in StorageDirectory. */
    QueueFile: z.string().min(1).optional(),
  })
  .default({ Rules: [], RetryIntervalSeconds: 5, MaxAgeSeconds: 86_400, ConcurrencyPerDestination: 2, BatchSize: 32 });

export type RouterSettings = z.output<typeof routerSettings>;
export type RouterRule = RouterSettings["Rules"][number];

/** Where the queue lives, for the plugin and for `dicomtls router status|retry` alike. */
export function queueFileOf(settings: RouterSettings, storageDirectory: string, configDirectory: string): string {
  const f = settings.QueueFile;
  if (f === undefined) return join(storageDirectory, "router-queue.sqlite");
  return isAbsolute(f) ? f : resolve(configDirectory, f);
}
