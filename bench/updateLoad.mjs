/**
 * The HTTP load of bench/update.mjs, in a process of its own so that it takes no time from the
 * server it measures (PM2's app or Chipset's): `connections` keep-alive connections (an undici
 * Pool), one lane per connection sending `GET /` again as soon as the answer is read (a closed
 * loop). Every request is recorded: when it started, how long it took, whether it was a 2xx.
 * Non-2xx answers, connection errors and requests unanswered after 10 s count as failed; the
 * lane goes on at once.
 *
 * Protocol (IPC, advanced serialization), each request `{ id, ... }` answered `{ id, ... }`:
 *   `{ type: "mark", name }`  records `name` at this process's clock (windows of the run);
 *   `{ type: "stop" }`        ends the lanes, closes the pool, answers every record and exits.
 * It sends `{ type: "ready" }` once as many requests as there are connections were answered.
 */
import { clearInterval, setInterval } from "node:timers";
import { Pool } from "undici";
import { countIn, failureKind } from "./lib/tally.mjs";

const { url, connections } = JSON.parse(process.argv[2]);
const NO_ANSWER_MS = 10_000;
const pool = new Pool(url, {
  connections,
  pipelining: 1,
  headersTimeout: NO_ANSWER_MS,
  bodyTimeout: NO_ANSWER_MS,
});

const starts = [];
const durations = [];
const oks = [];
const marks = [];
/** Failed requests by kind (`HTTP 503`, `ECONNREFUSED`, `UND_ERR_SOCKET`...). */
const errors = {};
/** Answers by the version that served them. */
const versions = {};
let running = true;

async function lane() {
  while (running) {
    const t0 = performance.now();
    let ok = false;
    try {
      const { statusCode, body } = await pool.request({ path: "/", method: "GET" });
      const text = await body.text();
      ok = statusCode >= 200 && statusCode < 300;
      if (ok) {
        const { version } = JSON.parse(text);
        countIn(versions, version);
      } else countIn(errors, `HTTP ${statusCode}`);
    } catch (err) {
      countIn(errors, failureKind(err));
    }
    starts.push(t0);
    durations.push(performance.now() - t0);
    oks.push(ok ? 1 : 0);
  }
}

const lanes = Array.from({ length: connections }, lane);

process.on("message", (m) => {
  if (m.type === "mark") {
    marks.push({ name: m.name, at: performance.now() });
    process.send({ id: m.id });
  } else if (m.type === "stop") {
    running = false;
    void Promise.all(lanes)
      .then(() => pool.close())
      .then(() =>
        process.send(
          {
            id: m.id,
            starts: Float64Array.from(starts),
            durations: Float64Array.from(durations),
            oks: Uint8Array.from(oks),
            marks,
            errors,
            versions,
          },
          () => process.exit(0),
        ),
      );
  }
});

const check = setInterval(() => {
  if (oks.length >= connections) {
    clearInterval(check);
    process.send({ type: "ready" });
  }
}, 10);
