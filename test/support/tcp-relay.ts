import net from 'node:net';

/**
 * A TCP relay a test puts between tokengate and a server it must not disturb (the shared
 * PostgreSQL): the test can cut it like a stopped server, black-hole it like a hung one, and put it
 * back, while the real server keeps running for every other suite.
 *
 * - `cut()`: every relayed connection is reset and new ones are refused (the port stops
 *   listening), as when PostgreSQL is stopped or the network path drops.
 * - `pause()`: connections stay open and new ones are accepted, but nothing is passed on in either
 *   direction, as when the server hangs or packets are dropped; `resume()` delivers what was held.
 * - `restore()`: listens again on the same port.
 */
export class TcpRelay {
  private server: net.Server | null = null;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; flush(): void }>();
  private paused = false;
  /** Connections accepted since the relay started, for tests that want to see reconnection. */
  accepted = 0;
  /** Bytes held back since the last pause, both directions together. */
  heldBytes = 0;

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
    public port: number,
  ) {}

  /** Starts relaying from a free loopback port to the target. */
  static async start(targetHost: string, targetPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(targetHost, targetPort, 0);
    await relay.listen();
    return relay;
  }

  /** Connections relayed right now. */
  get open(): number {
    return this.pairs.size;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.relay(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address !== null) this.port = address.port;
        this.server = server;
        resolve();
      });
    });
  }

  private relay(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    // Bytes that arrived while paused, per direction, delivered in order on resume.
    const toUpstream: Buffer[] = [];
    const toClient: Buffer[] = [];
    const pair = {
      client,
      upstream,
      flush: (): void => {
        for (const b of toUpstream.splice(0)) upstream.write(b);
        for (const b of toClient.splice(0)) client.write(b);
      },
    };
    this.pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (b: Buffer) => {
      if (!this.paused) upstream.write(b);
      else {
        toUpstream.push(b);
        this.heldBytes += b.length;
      }
    });
    upstream.on('data', (b: Buffer) => {
      if (!this.paused) client.write(b);
      else {
        toClient.push(b);
        this.heldBytes += b.length;
      }
    });
    const close = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }

  /** Resets every relayed connection and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    await this.stop(true);
  }

  private async stop(reset: boolean): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const p of [...this.pairs]) {
      if (reset) resetSocket(p.client);
      else p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** Listens again on the same port; connections go through again. */
  async restore(): Promise<void> {
    this.paused = false;
    if (this.server === null) await this.listen();
  }

  /** Holds every byte in both directions; connections stay open and new ones are accepted. */
  pause(): void {
    this.paused = true;
    this.heldBytes = 0;
  }

  /** Delivers what was held and relays again. */
  resume(): void {
    this.paused = false;
    for (const p of this.pairs) p.flush();
  }

  async close(): Promise<void> {
    this.paused = false;
    await this.stop(false);
  }
}

/**
 * Closes a connection with a TCP reset (RST), as a stopped server's kernel does. Not while the
 * socket is already shutting down (the peer ended it, so node is sending its own FIN): a reset then
 * leaves the native handle behind and the process spins at exit (seen on node 20; libp2p met the
 * same in js-libp2p#3597), so such a socket is just destroyed.
 */
export function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded || socket.readableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
