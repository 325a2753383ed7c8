import type { BrowserSso } from '../../identity/browser-sso.js';
import type { IdentityHeaderNames } from './headers.js';

/** What the reverse proxy is built with: the upstream, its timeouts, and how request bodies are held. */
export interface ProxyOptions {
  upstream: URL;
  identityHeaders: IdentityHeaderNames;
  /** More client headers to drop on every request, e.g. `x-remote-user` if the upstream trusts it. */
  stripHeaders: readonly string[];
  connectTimeoutMs: number;
  /** Time to the upstream's response headers; past it the client gets 504. */
  headersTimeoutMs: number;
  /** Longest silence while a body streams; past it the exchange is cut. */
  bodyTimeoutMs: number;
  /** Pooled keep-alive connections to the upstream. */
  connections: number;
  /** Largest request body read into memory before an upstream connection is taken. Default 1 MiB. */
  bufferBodyBytes?: number;
  /** Bytes of request bodies in memory at once, process-wide; past it bodies stream. Default 64 MiB. */
  bufferTotalBytes?: number;
  /** Longest silence while a request body arrives (nginx's client_body_timeout); past it 408. Default 30 s. */
  clientBodyTimeoutMs?: number;
  /** Share of `connections`, in percent, that streamed request bodies may hold together. Default 50. */
  streamingPercent?: number;
  /** Streamed request bodies one client address may have in flight. Default 8. */
  streamsPerClient?: number;
  /** Longest wait for a streaming slot; past it 503 with Retry-After. Default 10 s. */
  streamWaitMs?: number;
  /**
   * Longest wait for the client to take more of a response while the upstream read is paused for it
   * (nginx's send_timeout); past it the upstream exchange is aborted and the client cut. Default 60 s.
   */
  clientSendTimeoutMs?: number;
  /** Browsers sign in through the gateway (auth.browser); absent or null: they do not. */
  browser?: BrowserSso | null;
}

/** The defaults of the optional {@link ProxyOptions}, the same as the config file's. */
export type BodyOptions = Required<
  Pick<
    ProxyOptions,
    | 'bufferBodyBytes'
    | 'bufferTotalBytes'
    | 'clientBodyTimeoutMs'
    | 'streamingPercent'
    | 'streamsPerClient'
    | 'streamWaitMs'
    | 'clientSendTimeoutMs'
  >
>;

export const PROXY_BODY_DEFAULTS: Readonly<BodyOptions> = {
  bufferBodyBytes: 1_048_576,
  bufferTotalBytes: 67_108_864,
  clientBodyTimeoutMs: 30_000,
  streamingPercent: 50,
  streamsPerClient: 8,
  streamWaitMs: 10_000,
  clientSendTimeoutMs: 60_000,
};

/** The options that are set: `undefined` must not override a default when spread. */
function definedOnly(opts: ProxyOptions): Partial<BodyOptions> {
  const out: Partial<BodyOptions> = {};
  for (const key of Object.keys(PROXY_BODY_DEFAULTS) as Array<keyof BodyOptions>) {
    const value = opts[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The body options in force: the defaults, overridden by each option that is set. */
export function withBodyDefaults(opts: ProxyOptions): BodyOptions {
  return { ...PROXY_BODY_DEFAULTS, ...definedOnly(opts) };
}
