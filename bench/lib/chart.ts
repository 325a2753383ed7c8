/**
 * A dependency-free SVG bar chart of the proxy scenarios: requests per second as bars, with p50 and
 * p99 latencies written beside each bar.
 */
export interface ChartRow {
  label: string;
  rps: number;
  p50: number;
  p99: number;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function proxyChart(title: string, subtitle: string, rows: readonly ChartRow[]): string {
  const labelWidth = 330;
  const barMax = 420;
  const rowHeight = 34;
  const top = 70;
  const width = labelWidth + barMax + 230;
  const height = top + rows.length * rowHeight + 30;
  const max = Math.max(1, ...rows.map((r) => r.rps));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="17" font-weight="bold" fill="#1f2933">${escapeXml(title)}</text>`,
    `<text x="16" y="50" fill="#52606d">${escapeXml(subtitle)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, Math.round((r.rps / max) * barMax));
    const colour = r.label.startsWith('5') || r.label.startsWith('6') ? '#7b8794' : '#2f6fde';
    parts.push(
      `<text x="${labelWidth - 10}" y="${y + 19}" text-anchor="end" fill="#1f2933">${escapeXml(r.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 10}" rx="3" fill="${colour}"/>`,
      `<text x="${labelWidth + w + 8}" y="${y + 19}" fill="#1f2933">${Math.round(r.rps).toLocaleString('en-US')} req/s · p50 ${r.p50.toFixed(2)} ms · p99 ${r.p99.toFixed(2)} ms</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
