import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SyslogSender, type SyslogFormat } from '../../src/audit/syslog.js';
import type { AuditEvent } from '../../src/domain/audit/audit.js';

/**
 * Shared audit test fixtures: the syslog header the output tests send with, an `auth.success` event
 * for the writer and queue tests, the chain fields in their hashed order, and a loopback syslog
 * receiver over TCP.
 */

export const SYSLOG_FORMAT: SyslogFormat = {
  appName: 'tokengate',
  hostname: 'gw1.example.test',
  facility: 10,
  procId: '77',
};

/** The hashed fields of a record, in the chain order (src/domain/audit/chain.ts). */
export const CHAIN_FIELD_NAMES: readonly string[] = [
  'ts',
  'category',
  'action',
  'summary',
  'author',
  'affectedUser',
  'tokenId',
  'tokenDescription',
  'sourceIp',
  'proxyIp',
  'nodeId',
  'requestId',
  'method',
  'endpoint',
  'outcome',
  'details',
];

/** The i-th `auth.success` event (summary `event i`), as the writer and queue tests append it. */
export function authEvent(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    ts: 1_800_000_000_000 + i,
    category: 'authentication',
    action: 'auth.success',
    summary: `event ${i}`,
    author: 'ann',
    affectedUser: 'ann',
    tokenId: 'tok_w',
    tokenDescription: 'w',
    sourceIp: '192.0.2.7',
    proxyIp: null,
    nodeId: 'n1',
    requestId: `r${i}`,
    method: 'GET',
    endpoint: '/x',
    outcome: 'success',
    details: { n: i },
    ...extra,
  };
}

/** The time of the output tests' first event. */
export const OUTPUT_T0 = Date.UTC(2026, 2, 1, 12, 0, 0, 5);

/** The n-th `token.created` event of the output tests (alice creates token `tok_n` for bob). */
export function tokenCreatedEvent(n: number, nodeId: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    ts: OUTPUT_T0 + n,
    category: 'tokens',
    action: 'token.created',
    summary: `alice created token "t${n}" for bob`,
    author: 'alice',
    affectedUser: 'bob',
    tokenId: `tok_${n}`,
    tokenDescription: `t${n} ünïcode`,
    sourceIp: '203.0.113.7',
    proxyIp: '10.0.0.2',
    nodeId,
    requestId: `req-${n}`,
    method: 'POST',
    endpoint: '/_tokengate/api/v1/tokens',
    outcome: 'success',
    details: { scope: 'read' },
    ...extra,
  };
}

/** An octet-counted (RFC 6587) syslog receiver on loopback that can be stopped and started again on its port. */
export class TcpReceiver {
  readonly messages: string[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp < 0) break;
          const len = Number(buf.subarray(0, sp).toString('ascii'));
          if (buf.length < sp + 1 + len) break;
          this.messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
          buf = buf.subarray(sp + 1 + len);
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A syslog receiver over UDP (RFC 5426) on loopback: each datagram is one message. */
export interface UdpReceiver {
  port: number;
  readonly messages: string[];
  close(): Promise<void>;
}

export async function startUdpReceiver(): Promise<UdpReceiver> {
  const messages: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    messages,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A syslog sender over TCP to `receiver`, reconnecting quickly (10 ms up to `maxBackoffMs`). */
export function tcpSyslogSender(
  receiver: TcpReceiver,
  onError: (message: string, err?: unknown) => void,
  maxBackoffMs: number,
): SyslogSender {
  return new SyslogSender({
    transport: 'tcp',
    host: '127.0.0.1',
    port: receiver.port,
    minBackoffMs: 10,
    maxBackoffMs,
    onError,
  });
}
