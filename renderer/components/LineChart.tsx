/**
 * A small time-series line chart in plain SVG: one line per series over a fixed time window,
 * the y axis from 0 to the largest value, gaps where a sample is missing. The plot stretches
 * to its box; labels are HTML so they stay crisp. A text summary is the accessible name.
 */
import { formatNumber } from '../lib/format.ts';

export interface ChartSeries {
  name: string;
  /** [time ms, value]; null value = no sample (the line breaks) */
  points: ReadonlyArray<readonly [number, number | null]>;
}

interface LineChartProps {
  title: string;
  unit: string;
  series: ChartSeries[];
  /** the time window shown: [from ms, to ms] */
  domain: readonly [number, number];
  windowLabel: string;
}

const WIDTH = 300;
const HEIGHT = 100;

/** A round number at or above `value` (1, 2, 5 × 10^n), so the axis reads well. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * SVG path data: one `M ... L ...` run per unbroken stretch of samples; a lone sample gets a
 * zero-length segment, which the round line cap draws as a dot.
 */
function pathOf(points: ChartSeries['points'], domain: readonly [number, number], max: number): string {
  const [from, to] = domain;
  const span = Math.max(1, to - from);
  let d = '';
  let run = 0;
  const endRun = () => {
    if (run === 1) d += 'l0.01 0 ';
    run = 0;
  };
  for (const [time, value] of points) {
    if (value === null || time < from) {
      endRun();
      continue;
    }
    const x = ((time - from) / span) * WIDTH;
    const y = HEIGHT - (Math.min(value, max) / max) * HEIGHT;
    d += `${run > 0 ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)} `;
    run += 1;
  }
  endRun();
  return d.trim();
}

function latest(series: ChartSeries): number | null {
  for (let i = series.points.length - 1; i >= 0; i--) {
    const value = series.points[i]![1];
    if (value !== null) return value;
  }
  return null;
}

export function LineChart({ title, unit, series, domain, windowLabel }: LineChartProps) {
  const values = series.flatMap((s) => s.points.filter(([t, v]) => v !== null && t >= domain[0]).map(([, v]) => v as number));
  const max = niceCeiling(Math.max(0, ...values));
  const summary =
    values.length === 0
      ? `${title}: no samples yet`
      : `${title} over the ${windowLabel}: ` + series.map((s) => `${s.name} now ${formatNumber(latest(s), unit)}`).join(', ') + `; peak ${formatNumber(Math.max(...values), unit)}`;

  return (
    <figure className="chart">
      <figcaption className="chart-caption">
        <span className="chart-title">{title}</span>
        <span className="chart-legend">
          {series.map((s, i) => (
            <span key={s.name} className="chart-legend-item">
              <span className={`chart-swatch series-${i % 4}`} aria-hidden="true" />
              {s.name} {formatNumber(latest(s), unit)}
            </span>
          ))}
        </span>
      </figcaption>
      <div className="chart-plot">
        <span className="chart-ymax" aria-hidden="true">
          {formatNumber(max, unit)}
        </span>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary}>
          {[0, 0.5, 1].map((f) => (
            <line key={f} className="chart-grid" x1={0} x2={WIDTH} y1={HEIGHT * f} y2={HEIGHT * f} vectorEffect="non-scaling-stroke" />
          ))}
          {series.map((s, i) => (
            <path key={s.name} className={`chart-line series-${i % 4}`} d={pathOf(s.points, domain, max)} vectorEffect="non-scaling-stroke" />
          ))}
        </svg>
        {values.length === 0 && <span className="chart-empty">No samples yet</span>}
      </div>
      <div className="chart-axis" aria-hidden="true">
        <span>{windowLabel} ago</span>
        <span>now</span>
      </div>
    </figure>
  );
}
