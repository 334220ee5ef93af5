#!/usr/bin/env node
// The `chipset` executable: run the command line, then exit with its status once output is flushed.
import { runCli } from "./runCli.js";

// A reader that goes away (`chipset ls --json | head -1`) is not an error of ours: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const status = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
// Exit explicitly: a module's leftover timers or sockets must not keep a finished command alive.
// Waiting for both streams first keeps piped output from being cut off.
await Promise.all(
  [process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write("", () => resolve()))),
);
process.exit(status);
