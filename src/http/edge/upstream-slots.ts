/** Gives a slot back; calling it more than once gives it back once. */
export type Release = () => void;

interface Waiter {
  key: string;
  grant: (release: Release | null) => void;
  timer: NodeJS.Timeout;
}

/**
 * Upstream connections a kind of request may hold, in total and per client (Envoy's circuit
 * breakers, with a bounded queue). A request that gets no slot within `waitMs` is told so (null),
 * to be answered 503, instead of waiting in the pool's queue for as long as the holders please.
 * Waiters are served first come, first served, skipping those whose client is at its own limit.
 */
export class SlotGate {
  private inUse = 0;
  private readonly byKey = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly capacity: number,
    readonly perKey: number,
    private readonly waitMs: number,
  ) {}

  /** A slot for `key` (a client address), or null when none came free within the wait. */
  acquire(key: string): Promise<Release | null> {
    if (this.fits(key)) return Promise.resolve(this.take(key));
    if (this.waitMs <= 0) return Promise.resolve(null);
    return new Promise((grant) => {
      const waiter: Waiter = {
        key,
        grant,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i !== -1) this.waiters.splice(i, 1);
          grant(null);
        }, this.waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Slots held now, in total and by `key`. */
  held(key?: string): number {
    return key === undefined ? this.inUse : (this.byKey.get(key) ?? 0);
  }

  get waiting(): number {
    return this.waiters.length;
  }

  private fits(key: string): boolean {
    return this.inUse < this.capacity && (this.byKey.get(key) ?? 0) < this.perKey;
  }

  private take(key: string): Release {
    this.inUse++;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.give(key);
    };
  }

  private give(key: string): void {
    this.inUse--;
    const left = (this.byKey.get(key) ?? 1) - 1;
    if (left === 0) this.byKey.delete(key);
    else this.byKey.set(key, left);
    for (let i = 0; i < this.waiters.length && this.inUse < this.capacity;) {
      const waiter = this.waiters[i];
      if (waiter === undefined || !this.fits(waiter.key)) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.grant(this.take(waiter.key));
    }
  }
}
