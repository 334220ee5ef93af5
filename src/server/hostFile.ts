import fs from "node:fs";
import path from "node:path";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { isOtherLiveProcess } from "../registry/StoreLayout.js";

/** The file in the data directory that names the running host: `<data-dir>/host.json`. */
export const HOST_FILE = "host.json";

/** What `host.json` holds: where the host's API is, its pid, its token, and when it started (ISO 8601). */
export interface HostFile {
  url: string;
  pid: number;
  token: string;
  startedAt: string;
}

/** The path of `host.json` in `dataDir`. */
export function hostFilePath(dataDir: string): string {
  return path.join(dataDir, HOST_FILE);
}

/** The host file of `dataDir`, or undefined when there is none or it is not one (a torn write, an edit). */
export function readHostFile(dataDir: string): HostFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(hostFilePath(dataDir), "utf8");
  } catch {
    return undefined;
  }
  try {
    const json = JSON.parse(text) as Partial<HostFile> | null;
    if (
      typeof json?.url === "string" &&
      Number.isSafeInteger(json.pid) &&
      typeof json.token === "string" &&
      typeof json.startedAt === "string"
    )
      return json as HostFile;
  } catch {
    // not JSON: as if there were none
  }
  return undefined;
}

/**
 * Throws `CHIP_ERR_HOST_RUNNING` when `host.json` names another live process: a host serves
 * this data directory already. A file naming a dead process (a host that was killed) is stale,
 * and ignored.
 */
export function assertNoLiveHost(dataDir: string): void {
  const found = readHostFile(dataDir);
  if (found !== undefined && isOtherLiveProcess(found.pid))
    throw new ChipsetError(
      ErrorCodes.HOST_RUNNING,
      `a host already serves ${dataDir} (pid ${found.pid}, ${found.url}); stop it first (\`chipset shutdown\`, or Ctrl-C where it runs), or use another --data-dir`,
      { details: { pid: found.pid, url: found.url, file: hostFilePath(dataDir) } },
    );
}

/**
 * Writes `host.json` (mode 0600: it holds the token) for this host, replacing a stale one.
 * Throws `CHIP_ERR_HOST_RUNNING` when a live host's file is there (or one appeared meanwhile:
 * the file is created exclusively).
 */
export function writeHostFile(dataDir: string, content: HostFile): void {
  assertNoLiveHost(dataDir);
  const file = hostFilePath(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.rmSync(file, { force: true });
  try {
    fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    assertNoLiveHost(dataDir);
    throw new ChipsetError(
      ErrorCodes.HOST_RUNNING,
      `another host wrote ${file} while this one started; stop it first, or use another --data-dir`,
      { details: { file } },
    );
  }
}

/** Removes `host.json` if it names `pid` (default: this process); another host's file is left alone. */
export function removeHostFile(dataDir: string, pid: number = process.pid): void {
  if (readHostFile(dataDir)?.pid === pid) fs.rmSync(hostFilePath(dataDir), { force: true });
}
