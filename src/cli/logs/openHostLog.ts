import { join } from "node:path";
import { ChipsetError, ErrorCodes, messageOf } from "../../errors/index.js";
import { loadConfigFile } from "../../registry/ConfigFile.js";
import type { LogCopy } from "../context.js";
import { logsDir, MODULE_LOG } from "../../monitoring/logs.js";
import { logFileSettings } from "./logFileSettings.js";
import { RotatingLog } from "./RotatingLog.js";

/** The running host's log file, as a destination of its log records. */
export interface HostLog extends LogCopy {
  stream: RotatingLog;
  /** The current file's path (`<data-dir>/logs/modules.log`). */
  file: string;
}

/**
 * Opens `<data-dir>/logs/modules.log` for the host, sized and levelled by the config file's
 * `logs` section (defaults: `logFileSettings`). Throws `CHIP_ERR_OPTIONS_INVALID` for a bad
 * config file, `CHIP_ERR_STORE_FAILED` when the file cannot be opened.
 */
export function openHostLog(dataDir: string, configFile: string | undefined): HostLog {
  const settings = logFileSettings(configFile === undefined ? undefined : loadConfigFile(configFile).logs);
  const file = join(logsDir(dataDir), MODULE_LOG);
  try {
    return { stream: new RotatingLog(file, settings), level: settings.level, file };
  } catch (err) {
    throw new ChipsetError(
      ErrorCodes.STORE_FAILED,
      `the host cannot open its log file ${file}: ${messageOf(err)}; check that the data directory is writable`,
      { cause: err, details: { file } },
    );
  }
}
