/**
 * A counting semaphore: at most `size` holders at once, the rest wait in order. LdapDirectory opens
 * one connection per check, so this is what bounds its connections to the directory.
 */
export class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  private idle: (() => void) | null = null;

  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.used >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.used++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `used` never drops below what is running.
      const next = this.waiting.shift();
      if (next) next();
      else {
        this.used--;
        if (this.used === 0) this.idle?.();
      }
    }
  }

  /** Resolves once nothing holds a slot. */
  async drained(): Promise<void> {
    if (this.used === 0) return;
    await new Promise<void>((resolve) => {
      this.idle = resolve;
    });
  }
}
