// event-bus: calls between modules carry data, not callbacks, so this bus is a bounded log per
// topic: publishers append, readers ask for what came after the last sequence number they saw.
import { defineModule } from "chipset/module";

let topics = new Map();
let seq = 0;
let limit = 0;

export const module = defineModule({
  init(ctx) {
    topics = new Map();
    seq = 0;
    limit = ctx.config.historyLimit;
  },
  stop(ctx) {
    ctx.log.info({ events: seq, topics: topics.size }, "event-bus closed");
  },
  api: {
    /** Appends an event; returns its sequence number. */
    publish(topic, data = null) {
      let log = topics.get(topic);
      if (!log) topics.set(topic, (log = []));
      const event = { seq: ++seq, topic, data, at: new Date().toISOString() };
      log.push(event);
      if (log.length > limit) log.splice(0, log.length - limit);
      return event.seq;
    },
    /** Events of `topic` with a sequence number above `after` (0: all that are kept). */
    since(topic, after = 0) {
      return (topics.get(topic) ?? []).filter((e) => e.seq > after);
    },
    /** Event counts by topic. */
    topics() {
      return Object.fromEntries([...topics].map(([name, log]) => [name, log.length]));
    },
  },
});
