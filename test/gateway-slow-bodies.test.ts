import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { bearer } from './support/harness.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/** The attack: more slow senders than the upstream pool has connections (128 by default). */
const SLOW_SENDERS = 200;
const HOLD_MS = 20_000;
/** Each sender trickles one byte this often: never idle long enough for any idle timeout to help. */
const TRICKLE_MS = 2_000;
const PROBE_EVERY_MS = 2_000;
const ANSWER_WITHIN_MS = 1_000;

/** A client that declares a 1 MB body, sends three bytes, then one byte every TRICKLE_MS. */
function slowSender(url: string): { socket: Socket; answered: () => string } {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  socket.write(
    'POST /upload HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/octet-stream\r\n' +
      'Content-Length: 1000000\r\n\r\nabc',
  );
  return { socket, answered: () => received };
}

describe('slow request bodies (issue 14 finding 2)', () => {
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let read: string;

  before(async () => {
    upstream = await startEchoUpstream();
    t = await startTestNode(upstream.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'rita' });
    read = (await t.tokenFor('rita', { scope: 'read' })).token;
  });

  after(async () => {
    await t.close();
    await upstream.close();
  });

  it(`${SLOW_SENDERS} slow 1 MB bodies held for ${HOLD_MS / 1000} s do not delay a valid GET past ${ANSWER_WITHIN_MS} ms`, async () => {
    const senders = Array.from({ length: SLOW_SENDERS }, () => slowSender(t.url));
    await Promise.all(senders.map((s) => new Promise((r) => s.socket.once('connect', r))));
    const trickle = setInterval(() => {
      for (const s of senders) if (!s.socket.destroyed) s.socket.write('d');
    }, TRICKLE_MS);
    try {
      const started = Date.now();
      const probes: number[] = [];
      while (Date.now() - started < HOLD_MS) {
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
        const t0 = Date.now();
        const res = await fetch(`${t.url}/api/items`, {
          headers: { authorization: bearer(read) },
          signal: AbortSignal.timeout(5_000),
        }).catch((err: unknown) => err as Error);
        const took = Date.now() - t0;
        assert.ok(
          !(res instanceof Error),
          `probe ${probes.length + 1} (${Math.round((t0 - started) / 1000)} s into the hold) got no answer: ${res instanceof Error ? res.message : ''}`,
        );
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        assert.ok(took < ANSWER_WITHIN_MS, `probe ${probes.length + 1} took ${took} ms`);
        probes.push(took);
      }
      assert.ok(probes.length >= 5, `only ${probes.length} probes ran`);
      // The slow senders were still connected and unanswered: they were held, not refused early.
      const open = senders.filter((s) => !s.socket.destroyed && s.answered() === '').length;
      assert.equal(open, SLOW_SENDERS, `${SLOW_SENDERS - open} slow senders were cut or answered early`);
      // None of them took an upstream connection: their bodies never reached the upstream.
      assert.equal(upstream.seen.filter((s) => s.method === 'POST').length, 0);
    } finally {
      clearInterval(trickle);
      for (const s of senders) s.socket.destroy();
    }
  });
});
