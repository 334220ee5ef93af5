// The values of the options that take a fixed set of choices: what commander offers and checks
// while it builds the program and parses, without loading the code that uses them.

/** Levels `--log-level` accepts (pino's), most severe first. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** A level of `--log-level`. */
export type LogLevel = (typeof logLevels)[number];

/** Formats `--log-format` accepts: lines for people, or pino's JSON lines as they are. */
export const logFormats = ["text", "json"] as const;
/** A format of `--log-format`. */
export type LogFormat = (typeof logFormats)[number];

/** The orders `--sort` takes; every one but `id` puts the largest first. */
export const topSorts = ["cpu", "mem", "disk", "net", "calls", "id"] as const;

/** One of {@link topSorts}. */
export type TopSort = (typeof topSorts)[number];
