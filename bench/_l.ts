import { readLackey } from '../packages/trace/src/lackey.ts';
const pages = new Map<number, number>();
for (const f of ['excerpt-1000.txt', '2000-head200k.txt.gz'].map((x) => `../shared/fixtures/lackey/lackey-sort-${x}`)) {
  pages.clear();
  const t = performance.now();
  const s = await readLackey(f, (b) => { for (let i = 0; i < b.length; i++) pages.set(b.vpn[i]!, (pages.get(b.vpn[i]!) ?? 0) + 1); });
  console.log(JSON.stringify({ ...s, badLines: undefined }), pages.size, [...pages].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([p, c]) => p.toString(16) + ':' + c), (performance.now() - t).toFixed(0), 'ms');
}
