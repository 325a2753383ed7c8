import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { formatNumber } from '../format';

/**
 * Small SVG charts drawn by hand: no chart library, no inline styles (colours come from classes in
 * styles.css, so the Content-Security-Policy holds). Each chart also offers its numbers as a table.
 */

export interface Series {
  key: string;
  label: string;
  /** A class from styles.css: series-1 … series-5. */
  colorClass: string;
}

export interface TimePoint {
  start: string;
  values: Record<string, number>;
}

const HEIGHT = 220;
const MIN_WIDTH = 280;

/** The rendered width of an element, so the SVG is drawn at 1:1 and its text keeps its size. */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setWidth(Math.max(MIN_WIDTH, Math.floor(el.getBoundingClientRect().width)));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}
const PAD = { top: 12, right: 12, bottom: 28, left: 44 };

/** The smallest 1, 2 or 5 × 10^n at or above `max`, so axis labels are round numbers. */
export function niceMax(max: number): number {
  if (max <= 0) return 4;
  const exp = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * exp >= max) return step * exp;
  }
  return 10 * exp;
}

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function axisLabel(iso: string, spanMs: number): string {
  const d = new Date(iso);
  return spanMs > 2 * 86_400_000 ? dayFormat.format(d) : hourFormat.format(d);
}

interface TimeSeriesChartProps {
  title: string;
  points: TimePoint[];
  series: Series[];
  testId?: string;
}

/** Lines over time, one per series, with a legend of totals and a table view. */
export function TimeSeriesChart({ title, points, series, testId }: TimeSeriesChartProps) {
  const titleId = useId();
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [showTable, setShowTable] = useState(false);
  const [boxRef, WIDTH] = useWidth<HTMLDivElement>();
  const visible = series.filter((s) => !hidden.has(s.key));
  const max = niceMax(Math.max(0, ...points.flatMap((p) => visible.map((s) => p.values[s.key] ?? 0))));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const n = points.length;
  const x = (i: number) => PAD.left + (n <= 1 ? innerW / 2 : (i / (n - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const first = points[0];
  const last = points[n - 1];
  const spanMs = first && last ? new Date(last.start).getTime() - new Date(first.start).getTime() : 0;
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(innerW / 90))));
  // Labels at a regular step, plus the last point; one that would crowd the last is dropped.
  const labelled = new Set<number>();
  for (let i = 0; i < n; i += labelEvery) if (n - 1 - i >= labelEvery / 2 || i === 0) labelled.add(i);
  if (n > 1) labelled.add(n - 1);
  // Dots only while there is room for them; lines alone read better when points are dense.
  const showDots = n <= 1 || innerW / (n - 1) >= 14;
  const allZero = points.every((p) => visible.every((s) => (p.values[s.key] ?? 0) === 0));
  const totals = Object.fromEntries(
    series.map((s) => [s.key, points.reduce((sum, p) => sum + (p.values[s.key] ?? 0), 0)]),
  );

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={titleId} className="chart-title">
        {title}
      </figcaption>
      <ul className="legend" aria-label="Series">
        {series.map((s) => {
          const off = hidden.has(s.key);
          return (
            <li key={s.key}>
              <button
                type="button"
                className={`legend-item${off ? ' legend-off' : ''}`}
                aria-pressed={!off}
                onClick={() =>
                  setHidden((h) => {
                    const next = new Set(h);
                    if (next.has(s.key)) next.delete(s.key);
                    else next.add(s.key);
                    return next;
                  })
                }
                data-testid={`legend-${s.key}`}
              >
                <svg className="legend-swatch" viewBox="0 0 12 12" aria-hidden="true">
                  <rect width="12" height="12" rx="2" className={`fill ${s.colorClass}`} />
                </svg>
                {s.label}
                <span className="legend-total">{formatNumber(totals[s.key] ?? 0)}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <div ref={boxRef} className="chart-box">
        <svg
          className="chart-svg"
          width={WIDTH}
          height={HEIGHT}
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          role="img"
          aria-labelledby={titleId}
        >
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <g key={f}>
              <line className="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * f)} y2={y(max * f)} />
              <text className="axis" x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end">
                {formatNumber(Math.round(max * f * 100) / 100)}
              </text>
            </g>
          ))}
          {points.map((p, i) =>
            labelled.has(i) ? (
              <text
                key={p.start}
                className="axis"
                x={x(i)}
                y={HEIGHT - 8}
                textAnchor={i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle'}
              >
                {axisLabel(p.start, spanMs)}
              </text>
            ) : null,
          )}
          {allZero ? (
            <text
              className="chart-note"
              x={PAD.left + innerW / 2}
              y={PAD.top + innerH / 2}
              textAnchor="middle"
            >
              No requests in this period
            </text>
          ) : null}
          {visible.map((s) => (
            <polyline
              key={s.key}
              className={`line ${s.colorClass}`}
              points={points.map((p, i) => `${x(i)},${y(p.values[s.key] ?? 0)}`).join(' ')}
            />
          ))}
          {visible.map((s) =>
            points.map((p, i) =>
              showDots && (p.values[s.key] ?? 0) > 0 ? (
                <circle
                  key={`${s.key}-${p.start}`}
                  className={`dot ${s.colorClass}`}
                  cx={x(i)}
                  cy={y(p.values[s.key] ?? 0)}
                  r="3"
                />
              ) : null,
            ),
          )}
          {points.map((p, i) => {
            const w = n <= 1 ? innerW : innerW / (n - 1);
            return (
              <rect
                key={`hit-${p.start}`}
                className="hit"
                x={x(i) - w / 2}
                y={PAD.top}
                width={w}
                height={innerH}
              >
                <title>
                  {`${fullFormat.format(new Date(p.start))}\n${series
                    .map((s) => `${s.label}: ${formatNumber(p.values[s.key] ?? 0)}`)
                    .join('\n')}`}
                </title>
              </rect>
            );
          })}
        </svg>
      </div>
      <button
        type="button"
        className="link-button"
        aria-expanded={showTable}
        onClick={() => setShowTable((v) => !v)}
      >
        {showTable ? 'Hide the numbers' : 'Show the numbers as a table'}
      </button>
      {showTable ? (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.start}>
                  <td>{fullFormat.format(new Date(p.start))}</td>
                  {series.map((s) => (
                    <td key={s.key} className="num">
                      {formatNumber(p.values[s.key] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </figure>
  );
}

export interface BarItem {
  key: string;
  label: string;
  sublabel?: string;
  value: number;
  /** How the value is shown; defaults to the number. */
  valueLabel?: string;
}

/** Horizontal bars, longest first, e.g. the most used tokens. */
export function BarList({
  items,
  colorClass = 'series-1',
  testId,
  label,
}: {
  items: BarItem[];
  colorClass?: string;
  testId?: string;
  label: string;
}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <ol className="bar-list" aria-label={label} data-testid={testId}>
      {items.map((item) => (
        <li key={item.key} className="bar-item">
          <div className="bar-text">
            <span className="bar-label">{item.label}</span>
            {item.sublabel ? <span className="bar-sublabel">{item.sublabel}</span> : null}
          </div>
          <svg className="bar-track" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect className="bar-bg" width="100" height="10" rx="2" />
            <rect
              className={`fill ${colorClass}`}
              width={Math.max(1, (item.value / max) * 100)}
              height="10"
              rx="2"
            />
          </svg>
          <span className="bar-value">{item.valueLabel ?? formatNumber(item.value)}</span>
        </li>
      ))}
    </ol>
  );
}
