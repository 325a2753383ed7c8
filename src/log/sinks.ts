/**
 * Where formatted log records go. `write` must return at once and never throw: it runs on the request
 * path. A sink that fails reports it its own way and drops lines rather than crash the gateway.
 */
export interface LogSink {
  /** Queues one record (ending with '\n'). */
  write(line: string): void;
  /** Resolves when every record written so far has been handed to the operating system. */
  flush(): Promise<void>;
  /** Flushes, then releases what the sink holds. Records written afterwards are dropped. */
  close(): Promise<void>;
}

/**
 * Writes to a stream the sink does not own, such as `process.stderr`: `close()` only flushes and
 * leaves the stream open.
 */
export function streamSink(stream: NodeJS.WritableStream): LogSink {
  let closed = false;
  const flush = (): Promise<void> =>
    new Promise((resolve) => {
      // An empty write's callback runs once everything queued before it has been written (or failed).
      stream.write('', () => {
        resolve();
      });
    });
  return {
    write: (line) => {
      if (!closed) stream.write(line);
    },
    flush,
    close: async () => {
      if (closed) return;
      closed = true;
      await flush();
    },
  };
}

export interface MemorySink extends LogSink {
  /** Every record written, in order, each still ending with '\n'. */
  readonly lines: string[];
}

/** Keeps records in memory, for tests. */
export function memorySink(): MemorySink {
  const lines: string[] = [];
  let closed = false;
  return {
    lines,
    write: (line) => {
      if (!closed) lines.push(line);
    },
    flush: async () => undefined,
    close: async () => {
      closed = true;
    },
  };
}
