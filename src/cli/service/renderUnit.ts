import { usageError } from "../usage.js";

/** The first line of every unit `chipset service install` writes: how `install` and `uninstall` know a unit is theirs. */
export const UNIT_MARKER = "# Written by `chipset service install`";

/** What a systemd unit that runs the host is made of; every path absolute. */
export interface UnitSpec {
  /** `system` (`/etc/systemd/system`, started at boot) or `user` (the user's own manager, started at login or with lingering). */
  scope: "system" | "user";
  /** The node executable (`process.execPath`). */
  node: string;
  /** The chipset CLI entry (`dist/cli/main.js`). */
  cli: string;
  /** The words after the CLI: global options, then `start` and its options. */
  args: readonly string[];
  /** The directory the host runs in (relative paths of the command line and of the config resolve against it). */
  workingDirectory: string;
  /** The account a system unit runs the host as (`User=`); ignored for a user unit, which runs as its user. */
  runAs?: string;
  /** How long systemd waits, in seconds, between SIGTERM and SIGKILL while the host shuts down. */
  stopTimeoutSec: number;
  /** The data directory, named in the description. */
  dataDir: string;
  /** `Environment=` lines, by variable. */
  environment: Readonly<Record<string, string>>;
}

/**
 * The text of a systemd service unit that runs `chipset start` (pure: no file, no process).
 * systemd restarts the host when it fails, stops it with SIGTERM (the host's own graceful
 * shutdown: the API closes, then the modules stop, dependents first) and gives it
 * {@link UnitSpec.stopTimeoutSec} before it kills what is left; its output goes to the journal.
 * `CHIP_ERR_CLI_USAGE` when a value cannot be written into a unit (a line break, a control character, a bad user name).
 */
export function renderUnit(spec: UnitSpec): string {
  for (const [what, value] of [
    ["the node path", spec.node],
    ["the CLI path", spec.cli],
    ["the working directory", spec.workingDirectory],
    ...spec.args.map((arg) => ["an argument", arg] as const),
    ...Object.entries(spec.environment).flatMap(([name, value]) => [
      ["an environment variable's name", name] as const,
      [`environment variable ${name}`, value] as const,
    ]),
  ] as const)
    assertWritable(what, value);
  for (const name of Object.keys(spec.environment))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw usageError(`environment variable name ${JSON.stringify(name)} is not a valid name`, { name });
  if (!Number.isInteger(spec.stopTimeoutSec) || spec.stopTimeoutSec < 1)
    throw usageError(`the stop timeout must be a whole number of seconds, at least 1`, {
      found: spec.stopTimeoutSec,
    });
  const system = spec.scope === "system";
  if (system && spec.runAs !== undefined && !/^[a-z_][a-z0-9_.-]*\$?$/i.test(spec.runAs))
    throw usageError(`--run-as ${JSON.stringify(spec.runAs)} is not a user name`, { found: spec.runAs });
  const exec = [spec.node, spec.cli, ...spec.args].map(quoteExecArg).join(" ");
  const lines = [
    `${UNIT_MARKER}; \`chipset service uninstall\` removes it.`,
    "[Unit]",
    `Description=${specifiers(`Chipset host (data directory ${spec.dataDir})`)}`,
    // A system host may listen on the network: wait for it. A user manager has no such target.
    ...(system ? ["Wants=network-online.target", "After=network-online.target"] : []),
    "",
    "[Service]",
    "Type=exec",
    ...(system && spec.runAs !== undefined ? [`User=${spec.runAs}`] : []),
    `WorkingDirectory=${specifiers(spec.workingDirectory)}`,
    ...Object.entries(spec.environment).map(
      ([name, value]) => `Environment=${quoteExecArg(`${name}=${value}`)}`,
    ),
    `ExecStart=${exec}`,
    "Restart=on-failure",
    "RestartSec=2",
    // SIGTERM to the host alone: it stops its worker and process modules itself, in order; what
    // is left when TimeoutStopSec has passed gets SIGKILL.
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${spec.stopTimeoutSec}`,
    "StandardOutput=journal",
    "StandardError=journal",
    "SyslogIdentifier=chipset",
    "",
    "[Install]",
    `WantedBy=${system ? "multi-user.target" : "default.target"}`,
    "",
  ];
  return lines.join("\n");
}

/** True when `text` is a unit `chipset service install` wrote (its first line is {@link UNIT_MARKER}). */
export function isOurUnit(text: string): boolean {
  return text.startsWith(UNIT_MARKER);
}

/**
 * One word of an `ExecStart=` command line as systemd reads it back: `%` (specifiers) and `$`
 * (variables) doubled, and the word double-quoted with `\` and `"` escaped when it holds anything
 * but plain path characters.
 */
export function quoteExecArg(word: string): string {
  const escaped = specifiers(word).replaceAll("$", () => "$$");
  if (/^[A-Za-z0-9_@%$+=:,./-]+$/.test(word)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** `%` doubled: systemd expands `%x` specifiers in most settings. */
function specifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

function assertWritable(what: string, value: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw usageError(
      `${what} ${JSON.stringify(value)} holds a line break or a control character: a systemd unit cannot carry it`,
      {
        found: value,
      },
    );
}
