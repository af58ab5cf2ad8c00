/** One carriage-returned progress line: bar, percentage, count, rate and time left. */
export function progressLine(done: number, total: number, startedAt: number, unit: string): string {
  const width = 30;
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  const secs = (Date.now() - startedAt) / 1000;
  const rate = secs > 0 ? done / secs : 0;
  const left = rate > 0 ? (total - done) / rate : 0;
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1).padStart(5)}% ${done}/${total} ${unit} · ${Math.round(rate)}/s · ${Math.ceil(left)} s left `;
}
