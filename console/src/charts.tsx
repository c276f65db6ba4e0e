/**
 * Charts (Chart.js on a canvas) that are also readable without sight: the canvas has an
 * aria-label with every number, a table below shows the same numbers, and the value under the
 * pointer is repeated in a live region (what the tooltip shows).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Band } from './bands';
import { pct, pctNumber } from './format';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);
Chart.defaults.animation = false;
Chart.defaults.color = '#1f2933';
Chart.defaults.font.family = 'system-ui, sans-serif';

const COLORS = { before: '#52606d', after: '#0b5cad', target: '#b44d12', band: 'rgba(180, 77, 18, 0.22)' };

export interface AllocationSeries {
  keys: string[];
  before: (string | null)[];
  after: (string | null)[];
  /** Target weights, when known for the view. */
  target?: (string | null)[];
  bands?: (Band | null)[];
}

/** A chart's frame: caption, the canvas (aria-label with every number), the live readout, then `children`. */
function ChartFigure(props: {
  id: string;
  title: string;
  label: string;
  canvas: RefObject<HTMLCanvasElement>;
  readout: string;
  children?: ComponentChildren;
}) {
  const { id, title, label, canvas, readout } = props;
  return (
    <figure class="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>{title}</figcaption>
      <div class="chart-canvas">
        <canvas ref={canvas} id={id} role="img" aria-label={label} />
      </div>
      <p class="chart-readout" aria-live="polite" data-testid={`${id}-readout`}>
        {readout}
      </p>
      {props.children}
    </figure>
  );
}

/** "EQUITY: before 20.00%, after 20.00%, target 20%" for one key. */
export function describeRow(s: AllocationSeries, i: number): string {
  const parts = [`before ${pct(s.before[i] ?? '0')}`, `after ${pct(s.after[i] ?? '0')}`];
  if (s.target?.[i] != null) parts.push(`target ${pct(s.target[i])}`);
  const band = s.bands?.[i];
  if (band) parts.push(`band ${pct(band.lo)} to ${pct(band.hi)}`);
  return `${s.keys[i]}: ${parts.join(', ')}`;
}

export function AllocationChart(props: { id: string; title: string; series: AllocationSeries }) {
  const { id, title, series } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [readout, setReadout] = useState('');
  const hasTarget = series.target?.some((t) => t != null) ?? false;
  const hasBands = series.bands?.some((b) => b != null) ?? false;
  const label = `${title}. ${series.keys.map((_, i) => describeRow(series, i)).join('. ')}.`;

  useEffect(() => {
    if (!canvas.current) return;
    const texts: Record<string, (string | null)[]> = {
      Before: series.before,
      After: series.after,
      Target: series.target ?? [],
    };
    const datasets: ChartConfiguration<'bar'>['data']['datasets'] = [
      { label: 'Before', data: series.before.map(pctNumber), backgroundColor: COLORS.before },
      { label: 'After', data: series.after.map(pctNumber), backgroundColor: COLORS.after },
    ];
    if (hasTarget)
      datasets.push({
        label: 'Target',
        data: (series.target ?? []).map((t) => (t == null ? null : pctNumber(t))) as number[],
        backgroundColor: COLORS.target,
      });
    if (hasBands)
      datasets.push({
        label: 'Tolerance band',
        data: (series.bands ?? []).map((b) =>
          b ? [pctNumber(b.lo), pctNumber(b.hi)] : null,
        ) as unknown as number[],
        backgroundColor: COLORS.band,
        borderColor: COLORS.target,
        borderWidth: 1,
      });
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: series.keys, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: 'Weight (%)' } } },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const name = ctx.dataset.label ?? '';
                if (name === 'Tolerance band') {
                  const b = series.bands?.[ctx.dataIndex];
                  return b ? `${name}: ${pct(b.lo)} to ${pct(b.hi)}` : name;
                }
                return `${name}: ${pct(texts[name]?.[ctx.dataIndex] ?? '0')}`;
              },
            },
          },
        },
        onHover: (_event, elements) => {
          const i = elements[0]?.index;
          setReadout(i === undefined ? '' : describeRow(series, i));
        },
      },
    });
    return () => chart.destroy();
  }, [series, hasTarget, hasBands]);

  return (
    <ChartFigure id={id} title={title} label={label} canvas={canvas} readout={readout}>
      <div class="table-wrap" tabIndex={0} role="region" aria-label={`${title}: the numbers`}>
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
              {hasTarget && <th scope="col">Target</th>}
              {hasBands && <th scope="col">Tolerance band</th>}
            </tr>
          </thead>
          <tbody>
            {series.keys.map((k, i) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td class="num">{pct(series.before[i] ?? '0')}</td>
                <td class="num">{pct(series.after[i] ?? '0')}</td>
                {hasTarget && <td class="num">{series.target?.[i] == null ? '–' : pct(series.target[i])}</td>}
                {hasBands && (
                  <td class="num">
                    {series.bands?.[i] ? `${pct(series.bands[i]!.lo)} – ${pct(series.bands[i]!.hi)}` : '–'}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ChartFigure>
  );
}

/** One metric over a scenario's runs, oldest first. */
export function MetricChart(props: {
  id: string;
  title: string;
  labels: string[];
  values: (string | null)[];
  unit: string;
}) {
  const { id, title, labels, values, unit } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [readout, setReadout] = useState('');
  const show = (v: string | null) => (v === null ? 'no value' : `${v}${unit ? ` ${unit}` : ''}`);
  const label = `${title}. ${labels.map((l, i) => `${l}: ${show(values[i] ?? null)}`).join('. ')}.`;
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'line',
      data: {
        labels,
        datasets: [
          {
            label: title,
            data: values.map((v) => (v === null ? null : Number(v))) as number[],
            borderColor: COLORS.after,
            backgroundColor: COLORS.after,
            spanGaps: true,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => `${title}: ${show(values[ctx.dataIndex] ?? null)}` } },
        },
        onHover: (_e, elements) => {
          const i = elements[0]?.index;
          setReadout(i === undefined ? '' : `${labels[i]}: ${show(values[i] ?? null)}`);
        },
      },
    });
    return () => chart.destroy();
  }, [labels, values, title, unit]);
  return <ChartFigure id={id} title={title} label={label} canvas={canvas} readout={readout} />;
}
