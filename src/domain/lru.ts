/**
 * An entry is moved to the recent end at most this often. Moving costs a Map delete and insert; a hot
 * key read on every request would pay it thousands of times a second for no change in the order.
 */
const TOUCH_INTERVAL_MS = 1_000;

/**
 * A bounded map with a lifetime per entry. `onEvict` hears about entries dropped for room or for age,
 * not about explicit `delete` or `clear`, whose callers already know. Map keeps insertion order, so
 * re-inserting on hit makes the first key the least recently used. Recency is kept to the second:
 * an entry read within the last second is not moved again (approximate LRU, as Redis keeps it).
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; expires: number; touched: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get(key: K, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.map.delete(key);
      this.onEvict?.(key, e.value);
      return undefined;
    }
    if (now - e.touched >= TOUCH_INTERVAL_MS) {
      e.touched = now;
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e.value;
  }

  set(key: K, value: V, now: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: now + this.ttlMs, touched: now });
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.entries().next();
      if (!oldest.done) {
        this.map.delete(oldest.value[0]);
        this.onEvict?.(oldest.value[0], oldest.value[1].value);
      }
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
