// The actions an operator takes on a module, each confirmed in a dialog, each showing what came of
// it: the new state, or the host's error code and message.

import { useRef, useState } from "preact/hooks";
import { api, ApiError, seg } from "../api/client.js";
import { store } from "../store.js";

type Simple = "load" | "start" | "stop" | "pause" | "resume" | "restart" | "unload";

/** What a confirmed action asks of the host. */
interface Pending {
  label: string;
  path: string;
  body?: unknown;
}

interface Outcome {
  ok: boolean;
  text: string;
}

const simple: Simple[] = ["load", "start", "stop", "pause", "resume", "restart", "unload"];
/** The actions that stop the module, and with `cascade` its running dependents first. */
const stopping = new Set<Simple>(["stop", "restart", "unload"]);

/**
 * Whether the update field names a package on the host's machine (a directory or a `.tgz`) rather
 * than a version, a range or a dist-tag (`2.0.0-beta.1`, `^2`, `next`): a path has a slash, or
 * ends in `.tgz`, or starts with `.`.
 */
function isPackagePath(value: string): boolean {
  return value.includes("/") || value.endsWith(".tgz") || value.startsWith(".");
}

/** Describes an answer of a control route for the outcome line. */
function describe(label: string, answer: unknown): string {
  const a = (answer ?? {}) as {
    state?: string;
    outcome?: string;
    from?: string;
    to?: string;
    count?: number;
  };
  if (a.outcome !== undefined) return `${label}: ${a.outcome}${a.to ? ` (${a.from ?? "–"} → ${a.to})` : ""}`;
  if (a.state !== undefined) return `${label}: now ${a.state}`;
  return `${label}: done`;
}

/** The control bar of module `id` (all its versions when no version is given). */
export function Controls(props: { id: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [count, setCount] = useState("2");
  const [from, setFrom] = useState("");
  const [cascade, setCascade] = useState(false);
  const ref = seg(props.id);

  const ask = (p: Pending): void => {
    setPending(p);
    dialog.current?.showModal();
  };
  const run = async (): Promise<void> => {
    if (pending === null) return;
    dialog.current?.close();
    setBusy(true);
    setOutcome({ ok: true, text: `${pending.label}…` });
    try {
      const answer = await api(pending.path, { method: "POST", body: pending.body ?? {} });
      const failed = (answer as { outcome?: string }).outcome === "failed";
      setOutcome({ ok: !failed, text: describe(pending.label, answer) });
    } catch (e) {
      setOutcome({
        ok: false,
        text: e instanceof ApiError ? `${pending.label}: ${e.code}: ${e.message}` : String(e),
      });
    } finally {
      setBusy(false);
      store.invalidate();
    }
  };
  const update = (): void => {
    const value = from.trim();
    const body = value === "" ? {} : isPackagePath(value) ? { from: value } : { version: value };
    const what =
      value === "" ? "from its configured sources" : "version" in body ? `to ${value}` : `from ${value}`;
    ask({ label: `update ${props.id} ${what}`, path: `/v1/modules/${ref}/update`, body });
  };

  return (
    <section class="controls" aria-label={`controls of ${props.id}`}>
      <div class="buttons">
        {simple.map((action) => (
          <button
            key={action}
            type="button"
            disabled={busy}
            onClick={() =>
              ask({
                label: `${action} ${props.id}${cascade && stopping.has(action) ? " with its dependents" : ""}`,
                path: `/v1/modules/${ref}/${action}`,
                body: cascade && stopping.has(action) ? { cascade: true } : {},
              })
            }
          >
            {action}
          </button>
        ))}
        <button
          type="button"
          disabled={busy}
          onClick={() => ask({ label: `rollback ${props.id}`, path: `/v1/modules/${ref}/rollback` })}
        >
          rollback
        </button>
      </div>
      <div class="forms">
        <label title="stop, restart and unload also stop the modules that require this one (restart starts them again)">
          <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.currentTarget.checked)} />{" "}
          with dependents
        </label>
        <label>
          replicas{" "}
          <input
            type="number"
            min="1"
            max="64"
            value={count}
            onInput={(e) => setCount(e.currentTarget.value)}
            aria-label="replica count"
          />
        </label>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            ask({
              label: `scale ${props.id} to ${count}`,
              path: `/v1/modules/${ref}/scale`,
              body: { count: Number(count) },
            })
          }
        >
          scale
        </button>
        <label class="grow">
          update from{" "}
          <input
            type="text"
            placeholder="a version, a range, a directory or .tgz; empty: the configured sources"
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
            aria-label="update source or version"
          />
        </label>
        <button type="button" disabled={busy} onClick={update}>
          update
        </button>
      </div>
      <p
        class={`outcome ${outcome?.ok === false ? "error" : ""}`}
        role="status"
        aria-live="polite"
        data-testid="outcome"
      >
        {outcome?.text ?? " "}
      </p>
      <dialog ref={dialog} aria-label="confirm">
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <p>
            Really <strong>{pending?.label}</strong>?
          </p>
          <div class="menu">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class="primary" autofocus>
              Confirm
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}
