// Asks for the host's token (printed by `chipset start`, kept in <data-dir>/host.json) and checks it
// against the API before keeping it for the tab.

import { useState } from "preact/hooks";
import { api, ApiError, saveToken } from "../api/client.js";

export function Login(props: { notice: string; onAccepted: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState(props.notice);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      await api("/v1/modules", { token: token.trim() });
      saveToken(token.trim());
      props.onAccepted();
    } catch (err) {
      setError(err instanceof ApiError ? `refused: ${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>Chipset</h1>
        <label for="token">Host token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          autofocus
        />
        <p class="hint">
          <code>chipset start</code> prints it; it is also in <code>&lt;data-dir&gt;/host.json</code>. Kept
          for this tab only.
        </p>
        <button type="submit" disabled={busy}>
          Open
        </button>
        {error !== "" && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
