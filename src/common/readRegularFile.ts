import fs from "node:fs";

// O_NOFOLLOW: a link is not followed (ELOOP). O_NONBLOCK: opening a FIFO does not wait for a
// writer; fstat then refuses it. Windows has neither flag.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/**
 * Reads `file` as UTF-8 when it is a regular file (not a link, FIFO, device or directory) of at
 * most `maxBytes` bytes; otherwise throws an Error saying what it is instead. Never blocks on a FIFO.
 */
export function readRegularFile(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP")
      throw new Error("it is a symbolic link", { cause: err });
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error(`it is ${stat.isDirectory() ? "a directory" : "not a regular file"}`);
    if (stat.size > maxBytes) throw new Error(`it is ${stat.size} bytes, over the ${maxBytes} allowed`);
    return fs.readFileSync(fd, "utf8");
  } finally {
    fs.closeSync(fd);
  }
}
