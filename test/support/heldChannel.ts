/**
 * Test modules that must answer late say so on the "held" BroadcastChannel and wait for a post on
 * "release": a test waits for them there instead of sleeping.
 */

/** Resolves once `count` messages came on the "held" channel (calls held inside modules). */
export function held(count: number): Promise<void> {
  const channel = new BroadcastChannel("held");
  let seen = 0;
  return new Promise((resolve) => {
    channel.onmessage = () => {
      if (++seen < count) return;
      channel.close();
      resolve();
    };
  });
}

/** Lets every call held on the "release" channel answer. */
export function release(): void {
  const channel = new BroadcastChannel("release");
  channel.postMessage("go");
  channel.close();
}
