import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DamonRegion } from './damon.js';

export interface FakeKernelOptions {
  /** kdamonds that already exist (the machine's own). */
  kdamonds?: number;
  /** DAMON's avail_operations. */
  operations?: string;
  /** What update_schemes_tried_regions shows: directories 0, 2, 4… as on 6.18. */
  regions?: readonly DamonRegion[];
  /** Present the memory-sampling PMU's sysfs node (perf's choice of event). */
  pmu?: 'ibs' | 'pebs';
  /** /proc/iomem and /proc/vmstat text. */
  iomem?: string;
  vmstat?: string;
}

/**
 * A directory laid out as the kernel files pghot live uses — DAMON's admin tree with kdamond 0's
 * files already there (a real sysfs creates them on the nr_* writes), /proc/iomem, /proc/vmstat —
 * for tests and dry rehearsals with `--sysfs-root`. The tried regions are static.
 */
export function writeFakeKernelTree(root: string, options: FakeKernelOptions = {}): void {
  const K = 'sys/kernel/mm/damon/admin/kdamonds';
  const ctx = `${K}/0/contexts/0`;
  const scheme = `${ctx}/schemes/0`;
  const files: Record<string, string | number> = {
    [`${K}/nr_kdamonds`]: options.kdamonds ?? 0,
    [`${K}/0/state`]: 'off',
    [`${K}/0/pid`]: -1,
    [`${K}/0/contexts/nr_contexts`]: 0,
    [`${ctx}/avail_operations`]: options.operations ?? 'paddr',
    [`${ctx}/operations`]: 'vaddr',
    [`${ctx}/monitoring_attrs/intervals/sample_us`]: 5000,
    [`${ctx}/monitoring_attrs/intervals/aggr_us`]: 100_000,
    [`${ctx}/monitoring_attrs/intervals/update_us`]: 60_000_000,
    [`${ctx}/monitoring_attrs/nr_regions/min`]: 10,
    [`${ctx}/monitoring_attrs/nr_regions/max`]: 1000,
    [`${ctx}/targets/nr_targets`]: 0,
    [`${ctx}/targets/0/regions/nr_regions`]: 0,
    [`${ctx}/targets/0/pid_target`]: 0,
    [`${ctx}/schemes/nr_schemes`]: 0,
    [`${scheme}/action`]: 'stat',
    [`${scheme}/access_pattern/sz/max`]: 0,
    [`${scheme}/access_pattern/nr_accesses/max`]: 0,
    [`${scheme}/access_pattern/age/max`]: 0,
    'proc/iomem': options.iomem ?? '00001000-0009fbff : System RAM\n00100000-bfffffff : System RAM\n100000000-63fffffff : System RAM',
    'proc/vmstat': options.vmstat ?? 'pgpromote_success 0\npgmigrate_success 0',
  };
  if (options.pmu === 'ibs') files['sys/bus/event_source/devices/ibs_op/type'] = 11;
  if (options.pmu === 'pebs') files['sys/bus/event_source/devices/cpu/events/mem-loads'] = 'event=0xcd,umask=0x1,ldlat=3';
  // target regions: one per System RAM range pghot will write (room for 8)
  for (let i = 0; i < 8; i++) Object.assign(files, { [`${ctx}/targets/0/regions/${i}/start`]: 0, [`${ctx}/targets/0/regions/${i}/end`]: 0 });
  (options.regions ?? []).forEach((r, i) => {
    const dir = `${scheme}/tried_regions/${2 * i}`;
    Object.assign(files, { [`${dir}/start`]: r.start, [`${dir}/end`]: r.end, [`${dir}/nr_accesses`]: r.nrAccesses, [`${dir}/age`]: r.age, [`${dir}/sz_filter_passed`]: 0 });
  });
  for (const [file, value] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${value}\n`);
  }
}
