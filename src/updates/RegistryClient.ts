import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { abortError } from "../common/abort.js";
import type { Clock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import { parsePackument, type Packument } from "./packument.js";
import { RequestDeadline } from "./RequestDeadline.js";
import { sourceFailed, type SourceFailureFacts } from "./sourceErrors.js";
import type { RegistrySource } from "./UpdateConfig.js";

/** Cancellation and deadline of one registry request. */
export interface RequestOptions {
  /** Cancels the request: it rejects with `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
  signal?: AbortSignal;
  /** How long the request may take, its body included, in ms; the client's default when absent. */
  timeoutMs?: number;
}

/** A packument and where it came from. */
export interface PackumentAnswer {
  readonly packument: Packument;
  readonly url: string;
  readonly source: RegistrySource;
  /** True when the registry answered 304 Not Modified and the cached answer was reused. */
  readonly notModified: boolean;
}

/** A tarball download in progress: iterate `chunks` once; the request ends with the iteration. */
export interface TarballDownload {
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** Most packuments kept with their ETag (one per package and document kind; the oldest goes first). */
const CACHE_ENTRIES = 1000;
const ABBREVIATED = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";
// An npm package name, scoped or not (the old rules: upper case was once allowed).
const NPM_NAME = /^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;

/**
 * Talks to npm-compatible registries with Node's own fetch: routes a name to its source by
 * scope, sends the source's token as a Bearer token (to tarballs only on the registry's own
 * origin), keeps each packument with its ETag in memory and revalidates it with `If-None-Match`
 * (a 304 reuses it), and maps every failure to `CHIP_ERR_SOURCE_FAILED` (or `CHIP_ERR_ABORTED`
 * when the caller cancelled).
 *
 * Why fetch + ssri + node-tar rather than pacote: they are the pieces pacote is built from
 * (undici is Node's fetch, ssri and tar are npm's own), and together they hash a tarball as it
 * streams, on Node 20 and 24 alike. Pacote 21, the last one for Node 20, brings about a hundred
 * packages (git, sigstore, run-script, cacache), keeps a disk cache rather than one ETag per URL
 * in memory, drops unsafe tarball entries with a warning where Chipset must refuse the package,
 * and verifies registry signatures with ECDSA keys only.
 */
export class RegistryClient {
  private readonly cache = new Map<string, { etag: string; packument: Packument }>();

  constructor(
    private readonly sources: readonly RegistrySource[],
    private readonly clock: Clock,
    /** Default deadline of one request, body included, in ms. */
    private readonly timeoutMs: number,
  ) {}

  /**
   * The source for `name`: the one whose `scope` is the name's, else the first without a
   * scope. Throws `CHIP_ERR_SOURCE_FAILED` (`no-source`) when none fits.
   */
  sourceFor(name: string): RegistrySource {
    const scope = name.startsWith("@") ? name.slice(0, name.indexOf("/")) : undefined;
    const source =
      (scope === undefined ? undefined : this.sources.find((s) => s.scope === scope)) ??
      this.sources.find((s) => s.scope === undefined);
    if (source !== undefined) return source;
    throw sourceFailed(
      { reason: "no-source", source: "sources", package: name },
      `No registry in "sources" serves ${name}`,
      `Add { "registry": URL${scope === undefined ? "" : `, "scope": "${scope}"`} } to "sources" in the config.`,
    );
  }

  /**
   * The packument of `name` from its source: abbreviated (`application/vnd.npm.install-v1+json`)
   * unless `full`. A cached one is revalidated with its ETag and reused on 304.
   */
  async packument(name: string, options: RequestOptions & { full?: boolean } = {}): Promise<PackumentAnswer> {
    const source = this.sourceFor(name);
    const url = packumentUrl(source.registry, name);
    const key = `${options.full === true ? "full" : "abbreviated"} ${url}`;
    const cached = this.cache.get(key);
    const headers: Record<string, string> = {
      accept: options.full === true ? "application/json" : ABBREVIATED,
      ...auth(source),
    };
    if (cached !== undefined) {
      headers["if-none-match"] = cached.etag;
      // fetch adds "Cache-Control: no-cache" to a conditional request that has none, and
      // Express-based registries (Verdaccio) then never answer 304: ask to revalidate instead.
      headers["cache-control"] = "max-age=0";
    }
    const facts: SourceFailureFacts = { reason: "http-error", source: url, package: name };
    return this.request(url, headers, facts, options, async (response, deadline) => {
      if (response.status === 304 && cached !== undefined) {
        await response.body?.cancel().catch(() => undefined);
        this.touch(key, cached);
        return { packument: cached.packument, url, source, notModified: true };
      }
      if (response.status !== 200) throw await this.httpFailure(response, facts, source);
      const text = await this.readText(response, facts, deadline);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw badResponse(facts, `it is not JSON (${messageOf(err)})`, err);
      }
      const packument = parsePackument(json, name);
      if (typeof packument === "string") throw badResponse(facts, packument);
      const etag = response.headers.get("etag");
      if (etag !== null) this.touch(key, { etag, packument });
      else this.cache.delete(key);
      return { packument, url, source, notModified: false };
    });
  }

  /**
   * Starts downloading a tarball of `source`; the token goes along only when the tarball is on
   * the registry's own origin. Failures while the body streams reject the iteration the same way.
   */
  async tarball(
    url: string,
    source: RegistrySource,
    pkg: string,
    options: RequestOptions = {},
  ): Promise<TarballDownload> {
    const sameOrigin = new URL(url).origin === new URL(source.registry).origin;
    const headers = { accept: "application/octet-stream", ...(sameOrigin ? auth(source) : {}) };
    const facts: SourceFailureFacts = { reason: "http-error", source: url, package: pkg };
    const deadline = new RequestDeadline(this.clock, options.timeoutMs ?? this.timeoutMs, options.signal);
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: deadline.signal });
    } catch (err) {
      deadline.dispose();
      throw this.networkFailure(err, facts, deadline, options.signal);
    }
    if (response.status !== 200 || response.body === null) {
      deadline.dispose();
      throw await this.httpFailure(response, facts, source);
    }
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    const failure = (err: unknown): unknown => this.networkFailure(err, facts, deadline, options.signal);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let complete = false;
      try {
        for await (const chunk of body) yield chunk as Uint8Array;
        complete = true;
      } catch (err) {
        throw failure(err);
      } finally {
        if (!complete) deadline.abort();
        deadline.dispose();
      }
    }
    return { chunks: chunks() };
  }

  private async request<T>(
    url: string,
    headers: Record<string, string>,
    facts: SourceFailureFacts,
    options: RequestOptions,
    answer: (response: Response, deadline: RequestDeadline) => Promise<T>,
  ): Promise<T> {
    const deadline = new RequestDeadline(this.clock, options.timeoutMs ?? this.timeoutMs, options.signal);
    try {
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: deadline.signal });
      } catch (err) {
        throw this.networkFailure(err, facts, deadline, options.signal);
      }
      return await answer(response, deadline);
    } finally {
      deadline.dispose();
    }
  }

  private async readText(
    response: Response,
    facts: SourceFailureFacts,
    deadline: RequestDeadline,
  ): Promise<string> {
    try {
      return await response.text();
    } catch (err) {
      throw this.networkFailure(err, facts, deadline, undefined);
    }
  }

  /** The error for a request that never got (all of) its answer. */
  private networkFailure(
    err: unknown,
    facts: SourceFailureFacts,
    deadline: RequestDeadline,
    signal: AbortSignal | undefined,
  ): ChipsetError {
    if (err instanceof ChipsetError) return err;
    if (deadline.cancelled && signal !== undefined)
      return abortError(signal, `the request to ${facts.source}`, facts.package);
    if (deadline.timedOut) {
      return sourceFailed(
        { ...facts, reason: "timeout", cause: err },
        `${facts.source} did not answer within ${deadline.ms} ms`,
        "Check that the registry is up and reachable from here, or give the request more time (timeoutMs).",
      );
    }
    const code = systemCode(err);
    return sourceFailed(
      { ...facts, reason: "unreachable", ...(code === undefined ? {} : { status: code }), cause: err },
      `Cannot reach ${facts.source} (${code ?? messageOf(err)})`,
      'Check the registry URL in "sources", that the registry is running, and the network between.',
    );
  }

  private async httpFailure(
    response: Response,
    facts: SourceFailureFacts,
    source: RegistrySource,
  ): Promise<ChipsetError> {
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    const what = `${facts.source} answered ${status} ${response.statusText}`.trim();
    if (status === 404) {
      return sourceFailed(
        { ...facts, reason: "not-found", status },
        `${facts.package ?? "The package"} is not on ${source.registry} (${what})`,
        'Check the name, and that the right source in "sources" serves its scope.',
      );
    }
    if (status === 401 || status === 403) {
      return sourceFailed(
        { ...facts, reason: "unauthorized", status },
        `${source.registry} refused to serve ${facts.package ?? facts.source} (${what})`,
        `Check the "token" of the source for ${source.registry}${source.token === undefined ? " (it has none)" : ""}.`,
      );
    }
    return sourceFailed(
      { ...facts, reason: "http-error", status },
      what,
      status >= 500
        ? "The registry failed: try again later, or ask its operator."
        : 'Check the registry URL in "sources".',
    );
  }

  private touch(key: string, entry: { etag: string; packument: Packument }): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
  }
}

/**
 * The packument URL of `name` on `registry`, the name escaped as npm does (`@scope%2fname`).
 * Throws `CHIP_ERR_OPTIONS_INVALID` for a name npm would not accept.
 */
export function packumentUrl(registry: string, name: string): string {
  if (!NPM_NAME.test(name)) {
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `${JSON.stringify(name)} is not an npm package name; expected a name such as "video-player" or "@acme/video-player".`,
      { details: { field: "name", expected: "an npm package name", found: name } },
    );
  }
  const base = registry.endsWith("/") ? registry : `${registry}/`;
  return new URL(name.replace("/", "%2f"), base).toString();
}

function auth(source: RegistrySource): Record<string, string> {
  return source.token === undefined ? {} : { authorization: `Bearer ${source.token}` };
}

function badResponse(facts: SourceFailureFacts, what: string, cause?: unknown): ChipsetError {
  return sourceFailed(
    { ...facts, reason: "bad-response", ...(cause === undefined ? {} : { cause }) },
    `${facts.source} did not answer with a package document: ${what}`,
    'Check that the URL in "sources" is an npm registry (its packages at <registry>/<name>).',
  );
}

/** The system error code (`ECONNREFUSED`) behind a fetch failure, when there is one. */
function systemCode(err: unknown): string | undefined {
  for (let at: unknown = err, depth = 0; at !== undefined && at !== null && depth < 4; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}
