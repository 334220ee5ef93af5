import type { ChipsetError } from "../errors/ChipsetError.js";

/** Identifies the trigger an event is about: the module, the version declaring it, its place in `triggers`, its method. */
export interface TriggerRef {
  id: string;
  version: string;
  /** The trigger's index in the manifest's `triggers`. */
  trigger: number;
  kind: "cron" | "http";
  /** The api method it calls. */
  call: string;
}

/** What triggers emit (part of the runtime's events). */
export interface TriggerEvents {
  /** A trigger called its module: a cron tick (`tick`, ISO 8601) or an HTTP request (`route`, as `POST /t/hooks/ingest`). */
  "trigger.fired": TriggerRef & { tick?: string; route?: string };
  /** The call a trigger made answered (`ok`) or failed (`error`), `durationMs` after it fired. */
  "trigger.completed": TriggerRef & { ok: boolean; durationMs: number; error?: ChipsetError };
  /**
   * `count` ticks of a cron trigger, from `first` to `last` (ISO 8601), passed while the host could
   * not run them (asleep, or busy for over a minute): they are reported, not run.
   */
  "trigger.missed": TriggerRef & { first: string; last: string; count: number };
}
