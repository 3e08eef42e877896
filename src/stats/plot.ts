/**
 * Headless line plots as PNG: one or more stacked panels, each a frame with
 * light grid lines and one coloured polyline per series (one per layer,
 * shallow blue to deep red). No text is drawn; the title, axes and legend go
 * in the PNG's tEXt chunks and in the statistics summary.
 */
import { encodePngRgb } from './png.js';

export interface Panel {
  /** One series per layer; NaN values leave gaps. */
  series: number[][];
  /** Plot log10(y) (zeros and negatives leave gaps). */
  logY?: boolean;
}

const W = 800;
const PANEL_H = 300;
const MARGIN = 24;

/** Colour of series k of n: blue (shallow) to red (deep). */
export function getSeriesColor(k: number, n: number): [number, number, number] {
  const t = n > 1 ? k / (n - 1) : 0;
  return [Math.round(30 + 200 * t), Math.round(90 + 40 * (1 - Math.abs(2 * t - 1))), Math.round(220 - 190 * t)];
}

export function renderPanels(panels: Panel[]): { rgb: Uint8Array; width: number; height: number } {
  const height = PANEL_H * panels.length;
  const rgb = new Uint8Array(W * height * 3).fill(255);
  const set = (x: number, y: number, c: readonly number[]) => {
    if (x < 0 || y < 0 || x >= W || y >= height) return;
    const o = (y * W + x) * 3;
    rgb[o] = c[0];
    rgb[o + 1] = c[1];
    rgb[o + 2] = c[2];
  };
  panels.forEach((panel, k) => {
    const top = k * PANEL_H + MARGIN;
    const bottom = (k + 1) * PANEL_H - MARGIN;
    const left = MARGIN;
    const right = W - MARGIN;
    for (let g = 1; g < 4; g++) {
      const y = Math.round(top + ((bottom - top) * g) / 4);
      for (let x = left; x <= right; x += 4) set(x, y, [220, 220, 220]);
    }
    for (let x = left; x <= right; x++) [top, bottom].forEach((y) => set(x, y, [0, 0, 0]));
    for (let y = top; y <= bottom; y++) [left, right].forEach((x) => set(x, y, [0, 0, 0]));
    const tf = (v: number) => (panel.logY ? (v > 0 ? Math.log10(v) : NaN) : v);
    const all = panel.series.flat().map(tf).filter(Number.isFinite);
    if (!all.length) return;
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
    panel.series.forEach((values, s) => {
      const color = getSeriesColor(s, panel.series.length);
      let prev: [number, number] | null = null;
      values.forEach((v, i) => {
        const y = tf(v);
        if (!Number.isFinite(y)) {
          prev = null;
          return;
        }
        const px = Math.round(left + 1 + ((right - left - 2) * i) / Math.max(1, values.length - 1));
        const py = Math.round(bottom - 1 - ((bottom - top - 2) * (y - lo)) / (hi - lo));
        if (prev) drawLine(prev[0], prev[1], px, py, color, set);
        else set(px, py, color);
        prev = [px, py];
      });
    });
  });
  return { rgb, width: W, height };
}

function drawLine(x0: number, y0: number, x1: number, y1: number, c: readonly number[], set: (x: number, y: number, c: readonly number[]) => void) {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= n; i++) set(Math.round(x0 + ((x1 - x0) * i) / n), Math.round(y0 + ((y1 - y0) * i) / n), c);
}

export function plotPng(panels: Panel[], text: Record<string, string>): Buffer {
  const { rgb, width, height } = renderPanels(panels);
  return encodePngRgb(rgb, width, height, text);
}
