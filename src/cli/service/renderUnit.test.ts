import { describe, expect, it } from "vitest";
import { isOurUnit, quoteExecArg, renderUnit, type UnitSpec } from "./renderUnit.js";

const spec: UnitSpec = {
  scope: "system",
  node: "/usr/bin/node",
  cli: "/opt/chipset/dist/cli/main.js",
  args: ["--data-dir", "/var/lib/chipset", "start", "--http", "127.0.0.1:7411"],
  workingDirectory: "/srv/app",
  runAs: "chipset",
  stopTimeoutSec: 30,
  dataDir: "/var/lib/chipset",
  environment: { NODE_ENV: "production" },
};

/** The `Key=value` settings of a unit, in order. */
function settings(text: string): string[] {
  return text.split("\n").filter((line) => /^[A-Za-z]+=/.test(line));
}

describe("the systemd unit of the host", () => {
  it("runs chipset start with absolute paths, restarts on failure, stops with SIGTERM and a deadline, logs to the journal", () => {
    const text = renderUnit(spec);
    expect(isOurUnit(text)).toBe(true);
    expect(settings(text)).toEqual([
      "Description=Chipset host (data directory /var/lib/chipset)",
      "Wants=network-online.target",
      "After=network-online.target",
      "Type=exec",
      "User=chipset",
      "WorkingDirectory=/srv/app",
      "Environment=NODE_ENV=production",
      "ExecStart=/usr/bin/node /opt/chipset/dist/cli/main.js --data-dir /var/lib/chipset start --http 127.0.0.1:7411",
      "Restart=on-failure",
      "RestartSec=2",
      "KillMode=mixed",
      "KillSignal=SIGTERM",
      "TimeoutStopSec=30",
      "StandardOutput=journal",
      "StandardError=journal",
      "SyslogIdentifier=chipset",
      "WantedBy=multi-user.target",
    ]);
  });

  it("as a user unit has no User= and no network target, and is wanted by default.target", () => {
    const lines = settings(renderUnit({ ...spec, scope: "user" }));
    expect(lines.filter((l) => /^(User|Wants|After)=/.test(l))).toEqual([]);
    expect(lines).toContain("WantedBy=default.target");
  });

  it("quotes paths with spaces and escapes the characters systemd would expand", () => {
    expect(quoteExecArg("/srv/my app/data")).toBe('"/srv/my app/data"');
    expect(quoteExecArg("/srv/100%/$HOME")).toBe("/srv/100%%/$$HOME");
    expect(quoteExecArg('say "hi" \\ there')).toBe('"say \\"hi\\" \\\\ there"');
    const text = renderUnit({ ...spec, workingDirectory: "/srv/50% off", dataDir: "/d %i" });
    expect(text).toContain("WorkingDirectory=/srv/50%% off\n");
    expect(text).toContain("Description=Chipset host (data directory /d %%i)\n");
  });

  it("refuses a value with a line break, which would smuggle a setting into the unit", () => {
    expect(() => renderUnit({ ...spec, args: ["--data-dir", "/x\nExecStartPre=/bin/rm -rf /"] })).toThrow(
      expect.objectContaining({ code: "CHIP_ERR_CLI_USAGE" }),
    );
    expect(() => renderUnit({ ...spec, runAs: "root\nUser=x" })).toThrow(
      expect.objectContaining({ code: "CHIP_ERR_CLI_USAGE" }),
    );
    expect(() => renderUnit({ ...spec, stopTimeoutSec: 0 })).toThrow(/at least 1/);
  });

  it("tells its own units from others", () => {
    expect(isOurUnit("[Unit]\nDescription=nginx\n")).toBe(false);
    expect(isOurUnit(renderUnit(spec))).toBe(true);
  });
});
