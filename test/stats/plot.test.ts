// Tests src/stats/plot.ts: tick maths, the SVG's text and lines, and the PNG sharp makes of it.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { formatTick, getNiceTicks, getSeriesColor, Panel, plotPng, renderPlotSvg } from '../../src/stats/plot.js';

const panel = (change: Partial<Panel> = {}): Panel => ({
  title: 'Norms & more',
  xLabel: 'position',
  yLabel: 'mean norm',
  x: [0, 1, 2, 3],
  series: [
    [11.34, 11.6, NaN, 11.5],
    [1, 2, 3, 4],
  ],
  names: ['layer -2', 'layer -1'],
  ...change,
});

describe('ticks', () => {
  it('steps by 1, 2 or 5 times a power of ten, inside the range', () => {
    expect(getNiceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(getNiceTicks(11.33, 11.61)).toEqual([11.4, 11.5, 11.6]); // 0.28 / 5 = 0.056: the step is 0.1
    expect(getNiceTicks(11.33, 11.61, 11)).toEqual([11.35, 11.4, 11.45, 11.5, 11.55, 11.6]);
    expect(getNiceTicks(-3.2, 0.4)).toEqual([-3, -2, -1, 0]);
    expect(getNiceTicks(5, 5)).toEqual([5]);
    // values a float barely tells apart: one tick, and the loop ends
    expect(getNiceTicks(1, 1 + 2 ** -52)).toEqual([1]);
    expect(getNiceTicks(0, Infinity)).toEqual([0]);
  });

  it('formats ticks short', () => {
    expect([0, 0.05, 11.35, 20000, 0.001, 1234.5678].map(formatTick)).toEqual([
      '0',
      '0.05',
      '11.35',
      '2e4',
      '1e-3',
      '1235',
    ]);
  });
});

describe('renderPlotSvg', () => {
  it('draws the title, axis labels, legend and y ticks over the data range', () => {
    const svg = renderPlotSvg([panel()]);
    for (const s of ['Norms &amp; more', '>position<', '>mean norm<', '>layer -2<', '>layer -1<'])
      expect(svg).toContain(s);
    // y spans 1..11.6, padded to 0.47..12.13: (12.13 - 0.47) / 5 = 2.33, so ticks every 5
    const yTicks = [...svg.matchAll(/text-anchor="end">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(yTicks).toEqual(['5', '10']);
  });

  it('breaks a line at NaN and gives each series its colour', () => {
    const svg = renderPlotSvg([panel()]);
    const lines = [...svg.matchAll(/<polyline points="([^"]+)" fill="none" stroke="([^"]+)"/g)].map((m) => [
      m[1].split(' ').length,
      m[2],
    ]);
    expect(lines).toEqual([
      [2, 'rgb(30,90,220)'],
      [4, 'rgb(230,90,30)'],
    ]); // 11.34, 11.6 | gap | 11.5 alone is no line
  });

  it('draws a series that is flat to float precision as flat', () => {
    const svg = renderPlotSvg([panel({ series: [[10, 10 + 16 * Number.EPSILON, 10, 10]], names: ['a'] })]);
    const yTicks = [...svg.matchAll(/text-anchor="end">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(yTicks).toEqual(['9', '9.5', '10', '10.5', '11']); // the range 9..11 drawn around the value
  });

  it('labels a log axis with the values, not their logs', () => {
    const svg = renderPlotSvg([panel({ series: [[0.001, 0.1, 10, 0]], names: ['l'], logY: true })]);
    const yTicks = [...svg.matchAll(/text-anchor="end">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(yTicks).toEqual(['1e-3', '0.01', '0.1', '1', '10']);
  });

  it('keeps the legend to 12 entries, the first and the last included', () => {
    const names = Array.from({ length: 24 }, (_, l) => `layer ${l}`);
    const svg = renderPlotSvg([panel({ series: names.map((_, l) => [l, l + 1, l, l]), names })]);
    const legend = [...svg.matchAll(/<text [^>]*font-size="12">(layer \d+)<\/text>/g)].map((m) => m[1]);
    expect(legend).toHaveLength(12);
    expect(legend[0]).toBe('layer 0');
    expect(legend.at(-1)).toBe('layer 23');
  });
});

describe('plotPng', () => {
  it('is a PNG of the panels, 960 wide and 340 high per panel, holding the series colours', async () => {
    const png = await plotPng([panel(), panel({ series: [[4, 3, 2, 1]], names: ['one'] })]);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.format, info.width, info.height]).toEqual(['raw', 960, 680]);
    const colours = new Set<string>();
    for (let o = 0; o < data.length; o += info.channels) colours.add(`${data[o]},${data[o + 1]},${data[o + 2]}`);
    for (const c of [getSeriesColor(0, 2), getSeriesColor(1, 2)]) expect(colours.has(c.join(','))).toBe(true);
  });
});
