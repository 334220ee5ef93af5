// Every request of the page goes through here: it adds the bearer token and turns the host's error
// body ({ code, message }) into an ApiError the views show as it came.

const TOKEN_KEY = "chipset.token";

/** A refused or failed request: the host's `CHIP_ERR_*` code (or `NETWORK`) and its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token kept for this tab only (sessionStorage: gone when the tab closes), or null. */
export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

type Unauthorised = () => void;
let onUnauthorised: Unauthorised = () => undefined;

/** What to do when the host refuses the saved token (it restarted with another one): ask again. */
export function whenUnauthorised(handler: Unauthorised): void {
  onUnauthorised = handler;
}

/** The headers of an authorised request with `token` (the saved one by default). */
export function authHeaders(token = savedToken()): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/**
 * A JSON request to the host's API. Throws {@link ApiError} with the host's code on an error status,
 * and `NETWORK` when the host cannot be reached.
 */
export async function api<T>(
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = authHeaders(init.token);
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body),
    });
  } catch (e) {
    throw new ApiError(0, "NETWORK", `the host did not answer: ${(e as Error).message}`);
  }
  const text = await res.text();
  const body: unknown = text === "" ? null : JSON.parse(text);
  if (!res.ok) {
    const err = (body ?? {}) as { code?: string; message?: string };
    if (res.status === 401 && init.token === undefined) onUnauthorised();
    throw new ApiError(res.status, err.code ?? `HTTP_${res.status}`, err.message ?? res.statusText);
  }
  return body as T;
}

/** `ref` made safe for a path segment (`id@^1.0.0` has characters a URL must escape). */
export function seg(ref: string): string {
  return encodeURIComponent(ref);
}
