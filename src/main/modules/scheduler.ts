import type { NamedLogger } from '../../log/log-manager.js';
import { Jobs } from '../../services/jobs.js';

/**
 * The node's one scheduler for periodic work (services/jobs.ts). Each module cancels its own jobs
 * when it stops; stopping the scheduler, after them, clears whatever is left.
 */
export function startScheduler(log: Pick<NamedLogger, 'warn'>): { jobs: Jobs; stop(): Promise<void> } {
  // The jobs catch and log their own failures; this catches what escapes them.
  const jobs = new Jobs({
    onError: (name, err) => log.warn(`the periodic job "${name}" failed`, undefined, err),
  });
  return { jobs, stop: () => jobs.stop() };
}
