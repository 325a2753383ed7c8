import type { Redis } from 'ioredis';
import type { ChangeKind, ChangeListener, ChangePropagation } from '../ports/change-feed.js';

const CHANNEL = 'tokengate:changes';
const KINDS: ReadonlySet<string> = new Set(['token', 'user', 'settings', 'session']);

interface Message {
  node: string;
  kind: ChangeKind;
  refs: string[];
}

/**
 * The database poll this feed rides on (services/change-feed.ts `ChangeFeed`): the services publish
 * to it, it relays their changes here, and hands on what the other nodes announce.
 */
export interface PolledFeed extends ChangePropagation {
  /** Registers a relay of this process's changes; returns the function that removes it. */
  onPublish(relay: (kind: ChangeKind, refs: readonly string[]) => void): () => void;
  /** Tells local listeners of another node's change, without relaying it again. */
  receive(kind: ChangeKind, refs: readonly string[]): void;
}

/**
 * Change propagation through Redis pub/sub (ports/change-feed.ts), so a revocation, a disabled
 * user, a settings or log-level change reaches every node at once instead of at the next database
 * poll. The database poll (`poll`) stays on as the safety net for messages lost while Redis or a
 * subscriber was away.
 */
export class RedisChangeFeed implements ChangePropagation {
  private detach: (() => void) | null = null;
  private readonly onMessage = (channel: string, text: string): void => {
    if (channel === CHANNEL) this.receive(text);
  };
  private readonly onReady = (): void => {
    this.sub.subscribe(CHANNEL).catch(this.onError);
  };

  constructor(
    private readonly poll: PolledFeed,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly nodeId: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  publish(kind: ChangeKind, refs: readonly string[]): void {
    // The poll feed tells local listeners and relays to Redis (connect()).
    this.poll.publish(kind, refs);
  }

  subscribe(listener: ChangeListener): () => void {
    return this.poll.subscribe(listener);
  }

  /** Starts the database poll (a no-op if it already runs) and the Redis side. */
  async start(): Promise<void> {
    await this.poll.start();
    await this.connect();
  }

  /** Stops the Redis side, then the database poll. */
  async stop(): Promise<void> {
    await this.disconnect();
    await this.poll.stop();
  }

  /**
   * The Redis side only: relays the poll feed's publications and subscribes to the other nodes'.
   * The node's start-up calls this, and starts the poll as a module of its own. Idempotent.
   */
  async connect(): Promise<void> {
    if (this.detach) return;
    this.detach = this.poll.onPublish((kind, refs) => {
      const msg: Message = { node: this.nodeId, kind, refs: [...refs] };
      this.pub.publish(CHANNEL, JSON.stringify(msg)).catch(this.onError);
    });
    this.sub.on('message', this.onMessage);
    // Subscribe whenever the connection is (again) ready: a Redis that was away at start, or a
    // subscription lost with the connection, is picked up without a restart.
    this.sub.on('ready', this.onReady);
    if (this.sub.status === 'ready') await this.sub.subscribe(CHANNEL);
  }

  /** Undoes connect(); the connections stay open (other buses share them). Idempotent. */
  async disconnect(): Promise<void> {
    if (!this.detach) return;
    this.detach();
    this.detach = null;
    this.sub.off('message', this.onMessage);
    this.sub.off('ready', this.onReady);
    if (this.sub.status === 'ready') await this.sub.unsubscribe(CHANNEL).catch(this.onError);
  }

  private receive(text: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (msg.node === this.nodeId || !KINDS.has(msg.kind) || !Array.isArray(msg.refs)) return;
    this.poll.receive(
      msg.kind,
      msg.refs.filter((r): r is string => typeof r === 'string'),
    );
  }
}
