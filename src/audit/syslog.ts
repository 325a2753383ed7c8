import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import type { AuditRecord } from '../domain/audit/audit.js';
import { describeError } from '../log/layout.js';
import type { AuditOutput } from './output.js';
import { formatSyslog, octetCountedFrame, type SyslogFormat } from './syslog-format.js';

// The message format lives in syslog-format.ts; its names are exported here too, for the callers
// that know the syslog output by this module.
export {
  formatSyslog,
  octetCountedFrame,
  SEVERITY_NOTICE,
  SEVERITY_WARNING,
  SYSLOG_SD_ID,
  syslogSeverity,
  type SyslogFormat,
} from './syslog-format.js';

/** The largest UDP payload over IPv4; a longer message is cut (at a character boundary) rather than refused. */
export const MAX_UDP_MESSAGE_BYTES = 65_507;

function truncateUtf8(buf: Buffer, max: number): Buffer {
  if (buf.length <= max) return buf;
  let end = max;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}

export type SyslogTransport = 'udp' | 'tcp';

export interface SyslogSenderOptions {
  transport: SyslogTransport;
  host: string;
  port: number;
  /** TCP: messages held while disconnected. A send that does not fit is refused and counted as dropped. Default 10000. */
  maxBuffered?: number;
  /** TCP reconnect back-off: the first wait, doubled after each failed attempt up to `maxBackoffMs`. Defaults 100 and 30000. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** TCP: a connection attempt that takes longer is abandoned and retried. Default 10000. */
  connectTimeoutMs?: number;
  /** Told about a failure once per outage, and when it is over. Default: one line on stderr. */
  onError?: (message: string, err?: unknown) => void;
}

function reportToStderr(message: string, err?: unknown): void {
  const why = err === undefined ? '' : `: ${describeError(err)}`;
  process.stderr.write(`tokengate: ${message}${why}\n`);
}

interface Transport {
  send(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
  readonly connected: boolean;
  readonly dropped: number;
}

/**
 * Sends RFC 5424 messages to one syslog receiver.
 *
 * - `udp` (RFC 5426): one datagram per message; `send` resolves when every datagram has been handed
 *   to the OS. UDP gives no delivery guarantee.
 * - `tcp` (RFC 6587): octet-counted frames over one connection, opened on first use. `send` resolves
 *   when its messages have been handed to the OS on a live connection. While the connection is down,
 *   messages wait in a bounded buffer and the connection is retried with a bounded back-off; messages
 *   a broken connection did not take are written again on the next one.
 */
export class SyslogSender {
  private readonly transport: Transport;

  constructor(options: SyslogSenderOptions) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) {
      throw new RangeError(`syslog port must be an integer from 1 to 65535, got ${options.port}`);
    }
    const onError = options.onError ?? reportToStderr;
    this.transport =
      options.transport === 'udp'
        ? new UdpTransport(options.host, options.port)
        : new TcpTransport(options, onError);
  }

  send(lines: readonly string[]): Promise<void> {
    return this.transport.send(lines);
  }

  /** Messages refused because the TCP buffer was full, since start. */
  get dropped(): number {
    return this.transport.dropped;
  }

  /** TCP: whether a connection is up now. UDP: always true. */
  get connected(): boolean {
    return this.transport.connected;
  }

  /** Gives messages already on the connection a moment to leave; pending sends reject. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

class UdpTransport implements Transport {
  readonly connected = true;
  readonly dropped = 0;
  private readonly sockets = new Map<4 | 6, UdpSocket>();
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async send(lines: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('the syslog sender is closed');
    if (lines.length === 0) return;
    // One look-up per batch, not one per datagram.
    const family = isIP(this.host);
    const address = family === 0 ? await lookup(this.host) : { address: this.host, family };
    const socket = this.socket(address.family === 6 ? 6 : 4);
    await Promise.all(
      lines.map(
        (line) =>
          new Promise<void>((resolve, reject) => {
            const data = truncateUtf8(Buffer.from(line, 'utf8'), MAX_UDP_MESSAGE_BYTES);
            socket.send(data, this.port, address.address, (err) => {
              if (err) reject(err);
              else resolve();
            });
          }),
      ),
    );
  }

  private socket(family: 4 | 6): UdpSocket {
    let socket = this.sockets.get(family);
    if (socket === undefined) {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      // Send errors arrive through the callbacks; an unhandled 'error' event would end the process.
      socket.on('error', () => undefined);
      socket.unref();
      this.sockets.set(family, socket);
    }
    return socket;
  }

  async close(): Promise<void> {
    this.closed = true;
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

interface Pending {
  data: Buffer;
  count: number;
  /** The connection this was last written to; written again on a newer one unless confirmed. */
  writtenTo: Socket | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** How long `close` lets written messages drain before it cuts the connection. */
const CLOSE_GRACE_MS = 2000;

class TcpTransport implements Transport {
  dropped = 0;
  private readonly where: string;
  private readonly maxBuffered: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly connectTimeoutMs: number;
  private backoffMs: number;
  private pending: Pending[] = [];
  private buffered = 0;
  /** The socket being connected or connected; `live` once it is connected. */
  private socket: Socket | undefined;
  private live = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failing = false;
  private droppedInOutage = 0;

  constructor(
    private readonly options: SyslogSenderOptions,
    private readonly onError: (message: string, err?: unknown) => void,
  ) {
    this.where = `syslog tcp://${options.host}:${options.port}`;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = Math.max(this.minBackoffMs, options.maxBackoffMs ?? 30_000);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.backoffMs = this.minBackoffMs;
  }

  get connected(): boolean {
    return this.live;
  }

  send(lines: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the syslog sender is closed'));
    if (lines.length === 0) return Promise.resolve();
    if (this.buffered + lines.length > this.maxBuffered) {
      this.dropped += lines.length;
      this.droppedInOutage += lines.length;
      const err = new Error(
        `${this.where}: ${this.buffered} messages are waiting for the connection; ${lines.length} dropped`,
      );
      this.fail(err.message);
      return Promise.reject(err);
    }
    const data = Buffer.concat(lines.map(octetCountedFrame));
    return new Promise((resolve, reject) => {
      this.pending.push({ data, count: lines.length, writtenTo: undefined, resolve, reject });
      this.buffered += lines.length;
      this.pump();
    });
  }

  /** Writes what the live connection has not taken yet, or gets a connection going. */
  private pump(): void {
    const socket = this.socket;
    if (socket === undefined || !this.live) {
      this.connectSoon();
      return;
    }
    for (const p of this.pending) {
      if (p.writtenTo === socket) continue;
      p.writtenTo = socket;
      socket.write(p.data, (err) => {
        // On an error the connection closes, and the next one writes this again.
        if (!err) this.settle(p);
      });
    }
  }

  private settle(p: Pending): void {
    const i = this.pending.indexOf(p);
    if (i < 0) return;
    this.pending.splice(i, 1);
    this.buffered -= p.count;
    p.resolve();
  }

  private connectSoon(): void {
    if (this.closed || this.socket !== undefined || this.timer !== undefined) return;
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    let lastError: unknown;
    socket.setTimeout(this.connectTimeoutMs, () => {
      socket.destroy(new Error(`no connection within ${this.connectTimeoutMs} ms`));
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    // Receivers send nothing; read and discard whatever arrives so the connection never stalls.
    socket.resume();
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      this.live = true;
      this.backoffMs = this.minBackoffMs;
      if (this.failing) {
        this.failing = false;
        this.onError(
          `${this.where} is connected again; ${this.droppedInOutage} messages were dropped meanwhile`,
        );
        this.droppedInOutage = 0;
      }
      this.pump();
    });
    socket.once('close', () => {
      const wasLive = this.live;
      this.socket = undefined;
      this.live = false;
      if (this.closed) return;
      if (!wasLive) {
        this.fail(`${this.where}: cannot connect; retrying`, lastError);
        this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
      }
      if (this.pending.length > 0) this.retryAfter(wasLive ? this.minBackoffMs : this.backoffMs);
    });
  }

  private retryAfter(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
    this.timer.unref();
  }

  private fail(message: string, err?: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.onError(message, err);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    if (socket !== undefined) {
      if (this.live) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, CLOSE_GRACE_MS);
          socket.end(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      socket.destroy();
    }
    const left = this.pending;
    this.pending = [];
    this.buffered = 0;
    for (const p of left) p.reject(new Error(`${this.where}: closed before ${p.count} messages were sent`));
  }
}

/** The syslog output of the audit shipper: formats each record and sends the batch. */
export class SyslogOutput implements AuditOutput {
  readonly name = 'syslog';

  constructor(
    private readonly sender: SyslogSender,
    private readonly format: SyslogFormat,
  ) {}

  write(records: readonly AuditRecord[]): Promise<void> {
    return this.sender.send(records.map((r) => formatSyslog(r, this.format)));
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}
