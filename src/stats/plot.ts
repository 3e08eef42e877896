/**
 * Headless plots as PNG: an SVG of stacked panels, each with a title, axis
 * labels, tick values, a legend and one line per series (shallow layers blue
 * to deep red), rasterised by sharp (librsvg). Text is set in the system's
 * fonts through fontconfig; a machine with no fonts at all gets the lines and
 * ticks without their labels.
 */
import sharp from 'sharp';

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x of point i, shared by every series. */
  x: number[];
  /** One series per layer; NaN values leave gaps. */
  series: number[][];
  /** Legend entry of each series. */
  names: string[];
  /** A log10 y axis (zeros and negatives leave gaps). */
  logY?: boolean;
  /** Dots on the points as well as lines (for few points). */
  markers?: boolean;
}

const WIDTH = 960;
const PANEL_HEIGHT = 340;
const PLOT = { left: 90, right: 150, top: 44, bottom: 62 }; // margins of a panel's plot area
const LEGEND_MAX = 12;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Colour of series k of n: blue (shallow) to red (deep). */
export function getSeriesColor(k: number, n: number): [number, number, number] {
  const t = n > 1 ? k / (n - 1) : 0;
  return [Math.round(30 + 200 * t), Math.round(90 + 40 * (1 - Math.abs(2 * t - 1))), Math.round(220 - 190 * t)];
}

/** Whether `width` is too small to tell apart from float rounding at the scale of lo..hi. */
const isBelowPrecision = (width: number, lo: number, hi: number) =>
  width <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi));

/** Tick values at a 1, 2 or 5 x 10^k step, about `count` of them, all within [lo, hi]. */
export function getNiceTicks(lo: number, hi: number, count = 6): number[] {
  const rough = (hi - lo) / (count - 1);
  // No ticks between values a float cannot tell apart (k * step would stop moving), nor over an infinite range.
  if (!(hi > lo) || !Number.isFinite(rough) || isBelowPrecision(rough, lo, hi)) return Number.isFinite(lo) ? [lo] : [];
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9 && ticks.length <= 2 * count; k++)
    ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** A tick or legend number in few characters: 0.05, 11.35, 2e+4, 1e-3. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2) return Number(v.toExponential(2)).toExponential().replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const rgb = (c: number[]) => `rgb(${c.join(',')})`;

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(s)}</text>`;
}

/** Data range padded by 5% each side (a flat series gets +-1), so no point sits on the frame. */
function getRange(values: number[]): [number, number] {
  if (!values.length) return [0, 1];
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  if (isBelowPrecision(hi - lo, lo, hi)) return [lo - 1, hi + 1]; // flat, to float precision
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function renderPanel(panel: Panel, top: number): string {
  const [x0, x1, y0, y1] = [PLOT.left, WIDTH - PLOT.right, top + PLOT.top, top + PANEL_HEIGHT - PLOT.bottom];
  const ty = (v: number) => (panel.logY ? (v > 0 ? Math.log10(v) : NaN) : v);
  const [xLo, xHi] = getRange(panel.x.filter(Number.isFinite));
  const [yLo, yHi] = getRange(panel.series.flat().map(ty).filter(Number.isFinite));
  const px = (x: number) => x0 + ((x - xLo) / (xHi - xLo)) * (x1 - x0);
  const py = (y: number) => y1 - ((y - yLo) / (yHi - yLo)) * (y1 - y0);
  const out = [text(x0, top + 26, panel.title, 'font-size="17" font-weight="bold"')];
  for (const t of getNiceTicks(yLo, yHi)) {
    out.push(`<line x1="${x0}" x2="${x1}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e2e2e2"/>`);
    out.push(text(x0 - 6, py(t) + 4, formatTick(panel.logY ? 10 ** t : t), 'font-size="12" text-anchor="end"'));
  }
  for (const t of getNiceTicks(xLo, xHi)) {
    out.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${y1}" y2="${y1 + 5}" stroke="black"/>`);
    out.push(text(px(t), y1 + 19, formatTick(t), 'font-size="12" text-anchor="middle"'));
  }
  out.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="black"/>`);
  out.push(text((x0 + x1) / 2, y1 + 42, panel.xLabel, 'font-size="14" text-anchor="middle"'));
  out.push(
    text(
      0,
      0,
      panel.yLabel,
      `font-size="14" text-anchor="middle" transform="translate(${PLOT.left - 62},${(y0 + y1) / 2}) rotate(-90)"`,
    ),
  );
  panel.series.forEach((values, s) => {
    const color = rgb(getSeriesColor(s, panel.series.length));
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        out.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
      run = [];
    };
    values.forEach((v, i) => {
      const y = ty(v);
      if (!Number.isFinite(y) || !Number.isFinite(panel.x[i])) return flush();
      const [cx, cy] = [px(panel.x[i]).toFixed(1), py(y).toFixed(1)];
      run.push(`${cx},${cy}`);
      if (panel.markers) out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    });
    flush();
  });
  // Legend: every series up to LEGEND_MAX, else evenly spaced ones and the last (the colours run in order).
  const n = panel.series.length;
  const shown =
    n <= LEGEND_MAX
      ? [...Array(n).keys()]
      : [
          ...new Set(
            [...Array(LEGEND_MAX - 1).keys()].map((k) => Math.round((k * (n - 1)) / (LEGEND_MAX - 1))).concat(n - 1),
          ),
        ];
  shown.forEach((s, k) => {
    const y = y0 + 12 + k * 18;
    out.push(
      `<line x1="${x1 + 12}" x2="${x1 + 34}" y1="${y - 4}" y2="${y - 4}" stroke="${rgb(getSeriesColor(s, n))}" stroke-width="3"/>`,
    );
    out.push(text(x1 + 40, y, panel.names[s], 'font-size="12"'));
  });
  return out.join('\n');
}

/** The SVG of `panels` stacked top to bottom. */
export function renderPlotSvg(panels: Panel[]): string {
  const height = PANEL_HEIGHT * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="${FONT}">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    ...panels.map((p, k) => renderPanel(p, k * PANEL_HEIGHT)),
    '</svg>',
  ].join('\n');
}

/** The PNG bytes of `panels`. */
export async function plotPng(panels: Panel[]): Promise<Buffer> {
  return sharp(Buffer.from(renderPlotSvg(panels)))
    .png()
    .toBuffer();
}
