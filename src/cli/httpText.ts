import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** One request of {@link httpText}. */
export interface HttpTextRequest {
  method: "GET" | "POST";
  headers: Record<string, string>;
  /** Sent as is; none by default. */
  body?: string;
  /** Aborts the request (and rejects with the signal's abort) at any point. */
  signal?: AbortSignal;
}

/**
 * Sends one HTTP(S) request and resolves with the status and the whole body as text. It is the
 * CLI's transport to the host, on `node:http` rather than the global `fetch`: a command runs
 * once per process, and the first `fetch` of a process costs more than the rest of `chipset ls`
 * (about 250 ms of CPU and 40 MB loading undici on Node 20; see BENCHMARKS.md section 14).
 * Rejects as `fetch` does, with a `TypeError` whose `cause` is what failed (the socket's error,
 * with its `code`: `ECONNREFUSED`...; or the abort, once `signal` aborts).
 */
export function httpText(url: string, req: HttpTextRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const fail = (cause: unknown): void => reject(new TypeError("fetch failed", { cause }));
    const request = send(
      url,
      {
        method: req.method,
        headers:
          req.body === undefined
            ? req.headers
            : { ...req.headers, "content-length": Buffer.byteLength(req.body) },
        ...(req.signal === undefined ? {} : { signal: req.signal }),
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", fail);
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    request.on("error", fail);
    request.end(req.body);
  });
}
