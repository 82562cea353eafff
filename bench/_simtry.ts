import { runSimulation } from '../packages/sim/src/index.ts';
import hintfault from '../packages/source-hintfault/src/index.ts';
for (const mode of ['default', 'precision'] as const) {
  const t = performance.now();
  const r = await runSimulation({ machine: 'dram+cxl', workload: { name: 'gups-hotset' }, placement: { policy: 'preferred', node: 1 }, mode, plugins: [hintfault()], verify: true });
  const { series, vmstat, ...rest } = r;
  console.log(mode, JSON.stringify({ fthr: r.fastTierHitRatio, T: r.estimatedTimeNs / 1e6, sAF: r.slowdownVsAllFast, sNP: r.slowdownVsNoPromotion, pro: r.promotions.pages, dem: r.demotions.pages, pp: r.pingPong.events, oh: r.sourceOverheadNs.total / 1e6, or: r.oracles }));
  console.log(series.map((p) => `${p.tMs}:${p.fastTierHitRatio.toFixed(3)}/${p.promotedPages}/${p.demotedPages}`).join(' '));
  console.log(Object.entries(vmstat).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(' '));
  console.log('ms', (performance.now() - t).toFixed(0));
}
