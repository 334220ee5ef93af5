// The defaults of command options: read by the command definitions (help) and by their actions.

/** How many lines `chipset logs` shows when `--lines` is not given. */
export const DEFAULT_LOG_LINES = 50;

/** How often `chipset top` reads the host by default, in ms (the host samples every second too). */
export const DEFAULT_TOP_INTERVAL_MS = 1000;

/** The shortest `--interval`, in ms: below it the readings would cost the host more than they show. */
export const MIN_TOP_INTERVAL_MS = 100;

/** How long `start --detach` waits for the host to be ready when `--ready-timeout` is not given, in ms. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;

/** The unit's name when `--name` is not given: `chipset.service`. */
export const DEFAULT_UNIT_NAME = "chipset";

/**
 * Seconds systemd gives the host to shut down after SIGTERM when `--stop-timeout` is not given:
 * the runtime's default shutdown deadline (10 s) with room for the API to close and the process to exit.
 */
export const DEFAULT_STOP_TIMEOUT_SEC = 30;

/** How long `chipset shutdown` waits for the host to exit when `--timeout` is not given, in ms. */
export const DEFAULT_SHUTDOWN_WAIT_MS = 30_000;

/** The period `chipset report` covers unless `--since` says otherwise. */
export const DEFAULT_SINCE = "24h";
