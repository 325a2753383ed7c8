import type { Readable } from 'node:stream';

/**
 * The bytes of request bodies held in memory by the whole process. Buffering bodies keeps slow
 * senders away from the upstream pool; this bound keeps many fast ones from exhausting memory.
 * Bytes are charged as they arrive, never as declared: a client that announces 1 MB and sends three
 * bytes costs three bytes.
 */
export class BufferBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Charges `n` bytes; false, with nothing charged, when that would pass the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}

/** How reading a body into memory ended. */
export type BodyRead =
  /** The whole body; `charged` bytes stay charged to the budget until the caller gives them back. */
  | { kind: 'complete'; body: Buffer; charged: number }
  /**
   * The body grew past `maxBytes` or the budget: the chunks read so far (the last one uncharged), the
   * rest still unread in the paused stream. The caller streams it.
   */
  | { kind: 'overflow'; reason: 'size' | 'budget'; prefix: Buffer[]; charged: number }
  /** No byte for `idleMs`; nothing stays charged. */
  | { kind: 'idle' }
  /** The client went away; nothing stays charged. */
  | { kind: 'aborted' };

export interface BodyLimits {
  /** Largest body kept in memory; a longer one overflows into streaming. */
  maxBytes: number;
  /** Longest silence between two chunks of the body. */
  idleMs: number;
  budget: BufferBudget;
}

/**
 * Reads a request body into memory before any upstream connection is taken, as nginx does with
 * `proxy_request_buffering`: a slow sender then costs a socket and the bytes it actually sent.
 */
export function readBody(body: Readable, limits: BodyLimits): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let charged = 0;
    const finish = (result: BodyRead): void => {
      clearTimeout(timer);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onGone);
      body.off('close', onGone);
      if (result.kind === 'idle' || result.kind === 'aborted') limits.budget.give(charged);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      timer.refresh();
      const reason =
        charged + chunk.length > limits.maxBytes
          ? 'size'
          : limits.budget.take(chunk.length)
            ? null
            : 'budget';
      chunks.push(chunk);
      if (reason === null) {
        charged += chunk.length;
        return;
      }
      body.pause();
      finish({ kind: 'overflow', reason, prefix: chunks, charged });
    };
    const onEnd = (): void => finish({ kind: 'complete', body: Buffer.concat(chunks, charged), charged });
    const onGone = (): void => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'idle' }), limits.idleMs);
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onGone);
    body.once('close', onGone);
  });
}

/**
 * Calls `onIdle` when `body` delivers nothing for `idleMs` while we wait on the client. While
 * `backpressured()` says the upstream is the slow side, the silence is ours and does not count.
 * Returns the function that stops watching.
 */
export function watchIdle(
  body: Readable,
  idleMs: number,
  backpressured: () => boolean,
  onIdle: () => void,
): () => void {
  const check = (): void => {
    if (backpressured()) timer.refresh();
    else {
      stop();
      onIdle();
    }
  };
  const touch = (): void => {
    timer.refresh();
  };
  const stop = (): void => {
    clearTimeout(timer);
    body.off('data', touch);
    body.off('end', stop);
  };
  const timer = setTimeout(check, idleMs);
  body.on('data', touch);
  body.once('end', stop);
  return stop;
}
