/** Runs one benchmark sample in a fresh Node process and returns what it reported over IPC. */
import { fork } from "node:child_process";

/**
 * Extra flags for every child, e.g. `BENCH_CHILD_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`
 * to profile the samples.
 */
const extraFlags = (process.env.BENCH_CHILD_FLAGS ?? "").split(/\s+/).filter(Boolean);

/**
 * Forks `script` with `args` (and Node flags `execArgv`, before `BENCH_CHILD_FLAGS`); resolves
 * with its one message (rejects on error or no message).
 */
export function sampleInChild(script, args, { execArgv = [] } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = fork(script, args, {
      execArgv: [...execArgv, ...extraFlags],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let message;
    child.on("message", (m) => {
      message = m;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (message?.error) reject(new Error(`${script} ${args.join(" ")}: ${message.error}`));
      else if (message !== undefined) resolvePromise(message);
      else reject(new Error(`${script} ${args.join(" ")} exited (${code ?? signal}) without reporting`));
    });
  });
}

/** In a child: sends `result` to the parent and exits once it is delivered. */
export function report(result) {
  process.send(result, () => process.exit(0));
}

/** In a child: runs `main`, reporting its result or its error. */
export function childMain(main) {
  main().then(report, (err) => report({ error: err?.stack ?? String(err) }));
}
