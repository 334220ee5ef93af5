// Reading the host's log files (docs/cli.md `chipset logs`, docs/http-api.md `GET /v1/logs`): what
// the CLI and the server import (a concept folder's subfolders are its internals, see `npm run deps`).
export { HOST_LOG, LOGS_DIR, MODULE_LOG, logFilesOf, logsDir, rotatedName } from "./logs/LogFiles.js";
export {
  LOG_LEVEL_NAMES,
  levelName,
  levelNumber,
  parseLogRecord,
  type LogLevelName,
  type LogRecord,
} from "./logs/logRecord.js";
export {
  allOf,
  entriesOf,
  lastEntries,
  levelFilter,
  moduleFilter,
  readWholeLines,
  type LogEntry,
  type LogFilter,
  type LogPosition,
} from "./logs/readLogs.js";
export { DEFAULT_FOLLOW_INTERVAL_MS, followLog, type FollowOptions } from "./logs/followLog.js";
