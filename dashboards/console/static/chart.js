// uPlot wrapper: one chart, sized to its box, removed when the page is left.
import uPlot from 'uplot';
import { ctx } from './app.js';

export function lineChart(box, { title, times, series, bars = false }) {
  box.innerHTML = '';
  const palette = ['#1f6feb', '#d73a49', '#2da44e', '#9a6700', '#8250df', '#0a7ea4'];
  const opts = {
    title, width: Math.max(320, box.clientWidth || 800), height: 280,
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 1.5, fill: bars ? `${palette[i % palette.length]}55` : undefined, paths: bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined, spanGaps: !bars }))],
    axes: [{}, {}],
  };
  const plot = new uPlot(opts, [times, ...series.map((s) => s.values)], box);
  ctx.leave.push(() => plot.destroy());
  return plot;
}
