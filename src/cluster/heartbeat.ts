/**
 * How often a node announces itself in the nodes table. Its own module so that `cluster status`,
 * which judges a node live or stale by it, does not load the server (node.ts) to read it.
 */
export const HEARTBEAT_MS = 10_000;
