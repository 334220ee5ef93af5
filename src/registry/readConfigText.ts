import fs from "node:fs";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";

/** The largest config file read, in bytes (4 MiB): a config is a few kilobytes. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The text of config file `absolute`. It is looked at before it is opened: a link to /dev/zero
 * would be read for ever, and opening a FIFO blocks until someone writes to it.
 */
export function readConfigText(absolute: string): string {
  const cannotRead = (err: unknown) =>
    configFileError(
      absolute,
      "",
      `Cannot read the config file ${absolute} (${messageOf(err)}). Check the path, or omit it to use none.`,
      err,
    );
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch (err) {
    throw cannotRead(err);
  }
  if (!stat.isFile()) {
    throw configFileError(
      absolute,
      "",
      `The config file ${absolute} is not a regular file (it is ${kindOf(stat)}); point to a JSON file.`,
      undefined,
    );
  }
  if (stat.size > MAX_CONFIG_BYTES) {
    throw configFileError(
      absolute,
      "",
      `The config file ${absolute} has ${stat.size} bytes, more than the ${MAX_CONFIG_BYTES} a config file may have; check that it is the right file.`,
      undefined,
    );
  }
  try {
    return fs.readFileSync(absolute, "utf8");
  } catch (err) {
    throw cannotRead(err);
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  return "not a file";
}

/** `CHIP_ERR_OPTIONS_INVALID` about config file `file` (and its `field`, "" for the whole file). */
export function configFileError(file: string, field: string, message: string, cause: unknown): ChipsetError {
  return new ChipsetError(ErrorCodes.OPTIONS_INVALID, message, { cause, details: { file, field } });
}
