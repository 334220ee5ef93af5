/**
 * The `triggers` of a manifest: what activates and calls a module as a function would be (a cron
 * schedule, an HTTP route). Types only; registry/ validates them and triggers/ runs them.
 */

/** The HTTP methods an HTTP trigger may answer. */
export const TRIGGER_HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** An HTTP method an HTTP trigger may answer. */
export type TriggerHttpMethod = (typeof TRIGGER_HTTP_METHODS)[number];

/**
 * The prefix the host serves HTTP triggers under: `{ "path": "/hooks/ingest" }` is served at
 * `/t/hooks/ingest`, apart from the API's own routes (`/v1/...`, the probes).
 */
export const HTTP_TRIGGER_PREFIX = "/t";

/** Calls `call` at each tick of `cron` (5 fields, or 6 with seconds first), in the runtime's time zone. */
export interface CronTriggerManifest {
  cron: string;
  /** The api method called, with no argument. */
  call: string;
}

/** Calls `call` for each request to `http.method` `/t<http.path>`, with the request body (or query, for GET) as its one argument. */
export interface HttpTriggerManifest {
  http: { method: TriggerHttpMethod; path: string };
  /** The api method called; its result is the response. */
  call: string;
}

/** One entry of `triggers`. */
export type TriggerManifest = CronTriggerManifest | HttpTriggerManifest;

/** True for a cron trigger. */
export function isCronTrigger(trigger: TriggerManifest): trigger is CronTriggerManifest {
  return "cron" in trigger;
}

/** The cron expressions a trigger may use (croner's mode): 5 fields, or 6 with seconds first. */
export const CRON_MODE = "5-or-6-parts" as const;
