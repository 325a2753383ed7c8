import type { Redis } from 'ioredis';
import type { ChangeFeed } from '../services/change-feed.js';
import type { ChangeKind } from '../store/change-repo.js';

const CHANNEL = 'tokengate:changes';
const KINDS: ReadonlySet<string> = new Set(['token', 'user', 'settings', 'session']);

interface Message {
  node: string;
  kind: ChangeKind;
  refs: string[];
}

/**
 * Spreads cache invalidations between nodes through Redis pub/sub, so a revocation, a disabled
 * user, a settings or log-level change reaches every node at once instead of at the next database
 * poll. The database's change feed stays on as the safety net for messages lost while Redis or a
 * subscriber was away.
 */
export class RedisChangeBus {
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly feed: ChangeFeed,
    private readonly nodeId: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.feed.onPublish((kind, refs) => {
      const msg: Message = { node: this.nodeId, kind, refs: [...refs] };
      this.pub.publish(CHANNEL, JSON.stringify(msg)).catch(this.onError);
    });
    this.sub.on('message', (_channel: string, text: string) => this.receive(text));
    // Subscribe whenever the connection is (again) ready: a Redis that was away at start, or a
    // subscription lost with the connection, is picked up without a restart.
    this.sub.on('ready', () => {
      this.sub.subscribe(CHANNEL).catch(this.onError);
    });
    if (this.sub.status === 'ready') await this.sub.subscribe(CHANNEL);
  }

  private receive(text: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (msg.node === this.nodeId || !KINDS.has(msg.kind) || !Array.isArray(msg.refs)) return;
    this.feed.receive(
      msg.kind,
      msg.refs.filter((r): r is string => typeof r === 'string'),
    );
  }
}
