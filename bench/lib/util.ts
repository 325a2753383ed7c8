/** Small helpers of the bench harness: waiting, number formats, progress on stderr. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
export const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
export const log = (s: string): void => void process.stderr.write(`${s}\n`);
