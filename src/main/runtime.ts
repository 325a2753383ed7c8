/**
 * Start-up as a list of modules: each is started in turn and hands back what it built with a
 * `stop()`; the runtime stops them in reverse start order. When a start fails half-way, the modules
 * already started are stopped (in reverse) and the start's error is thrown.
 */

/** What a started module gives back: anything with a `stop()`. */
export interface Started {
  stop(): Promise<void> | void;
}

export interface RuntimeOptions {
  /** Told of every stop that fails (the others still run), with the module's name. */
  onStopError?: (name: string, err: unknown) => void;
}

export class Runtime {
  private readonly started: { name: string; stop: () => Promise<void> | void }[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: RuntimeOptions = {}) {}

  /** The modules started and not stopped, in start order. */
  get names(): string[] {
    return this.started.map((m) => m.name);
  }

  /**
   * Starts one module: `start()` builds it (with what it needs, passed by the caller) and returns it.
   * If it throws, every module started before it is stopped, in reverse order, and the error is thrown.
   */
  async start<T extends Started>(name: string, start: () => Promise<T> | T): Promise<T> {
    if (this.stopping) throw new Error(`the runtime is stopped; cannot start "${name}"`);
    let module: T;
    try {
      module = await start();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
    this.started.push({ name, stop: () => module.stop() });
    return module;
  }

  /**
   * Stops the started modules in reverse start order. Every stop runs even when one fails; the first
   * failure is thrown at the end. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const m of this.started.splice(0).reverse()) {
      try {
        await m.stop();
      } catch (err) {
        failures.push(err);
        this.opts.onStopError?.(m.name, err);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}
