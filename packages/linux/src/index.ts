export { KernelFs, parseList } from './sysfs.js';
export { readLinuxTopology, toTopologySpec, type LinuxNode, type LinuxTopology } from './topology.js';
export { readVmstat, vmstatDelta } from './vmstat.js';
export { DAMON_ADMIN, DamonSession, damonStatus, readTriedRegions, startDamon, stopOnSignals, type DamonRegion, type DamonSettings, type DamonStatus, type PhysRange } from './damon.js';
export { readPagemap, type PagemapEntry } from './pagemap.js';
export { movePages, MPOL_MF_MOVE, type MovePagesResult } from './move-pages.js';
export { readSystemRam } from './iomem.js';
export { writeFakeKernelTree, type FakeKernelOptions } from './fake-tree.js';
