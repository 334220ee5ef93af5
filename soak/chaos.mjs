import { between, pick } from "./random.mjs";

/** The crash kinds each host can suffer (docs/isolation.md). */
export const CRASH_KINDS = {
  // An inline module shares the runtime's thread: a loop, exit or abort there would end the soak.
  inline: ["uncaught-exception", "unhandled-rejection"],
  worker: ["uncaught-exception", "unhandled-rejection", "hang", "heap-exhausted", "exit", "abort"],
  process: [
    "uncaught-exception",
    "unhandled-rejection",
    "hang",
    "heap-exhausted",
    "exit",
    "abort",
    "memory-limit",
    "killed",
  ],
};

/** Every (host, kind) pair, in the order the schedule first goes through them. */
export const CRASH_PAIRS = Object.entries(CRASH_KINDS).flatMap(([host, kinds]) =>
  kinds.map((kind) => ({ host, kind })),
);

// Without limits.memoryMb the heap limit is Node's default (gigabytes) and RSS is not checked.
const NEEDS_LIMIT = new Set(["heap-exhausted", "memory-limit"]);

const canSuffer = (spec, kind) =>
  CRASH_KINDS[spec.host].includes(kind) && (!NEEDS_LIMIT.has(kind) || spec.memoryMb !== undefined);

/** `host kind`, the key of a pair in the counts. */
export const pairKey = (host, kind) => `${host} ${kind}`;

/**
 * Crashes a running module every `intervalMs` ([min, max] ms, drawn from `random`), in a way its
 * host allows. It goes through every (host, kind) pair first, each until `tally` has seen its
 * `module.crashed`, then picks at random. A pair whose crash was set off is not set off again for
 * `pendingMs`, the time its event may take (a hang is noticed only after the hang timeout).
 * @returns `stop()`, and `strikes`: crashes set off, by pair key.
 */
export function startChaos({ runtime, specs, calls, tally, random, intervalMs, pendingMs }) {
  const chaos = { strikes: new Map(), stop: () => clearTimeout(timer) };
  const lastStrike = new Map();
  let timer = setTimeout(tick, between(random, ...intervalMs));

  function tick() {
    const state = new Map(runtime.queries.list({ kind: "soak" }).map((s) => [s.id, s.state]));
    const running = specs.filter((s) => state.get(s.id) === "running");
    const next = uncoveredStrike(running) ?? randomStrike(running);
    if (next) strike(next.spec, next.kind);
    timer = setTimeout(tick, between(random, ...intervalMs));
  }

  function uncoveredStrike(running) {
    const now = performance.now();
    for (const { host, kind } of CRASH_PAIRS) {
      if (
        tally.crashCount(host, kind) > 0 ||
        now - (lastStrike.get(pairKey(host, kind)) ?? -Infinity) < pendingMs
      )
        continue;
      const spec = pick(
        random,
        running.filter((s) => s.host === host && canSuffer(s, kind)),
      );
      if (spec) return { spec, kind };
    }
    return undefined;
  }

  function randomStrike(running) {
    const spec = pick(random, running);
    return (
      spec && {
        spec,
        kind: pick(
          random,
          CRASH_KINDS[spec.host].filter((k) => canSuffer(spec, k)),
        ),
      }
    );
  }

  function strike(spec, kind) {
    const struck = () => {
      const key = pairKey(spec.host, kind);
      lastStrike.set(key, performance.now());
      chaos.strikes.set(key, (chaos.strikes.get(key) ?? 0) + 1);
    };
    if (kind === "killed") {
      if (kill(runtime.queries.info(spec.id).instance?.host.pid)) struck();
      return;
    }
    // The target travels with the call: a module that is down passes its calls to its fallback,
    // which must not crash in its place.
    void calls
      .run("crash", (signal) => runtime.call(spec.id, "crash", [kind, spec.id], { signal }))
      .then((outcome) => {
        if (outcome.ok && outcome.value === "scheduled") struck();
      });
  }

  return chaos;
}

/** Kills a child process from outside, as an OOM killer or an operator would. */
function kill(pid) {
  if (pid === undefined || pid === process.pid) return false;
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false; // it had just ended
  }
}
