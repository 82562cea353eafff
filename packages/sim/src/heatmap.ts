import type { Machine } from './machine.js';
import { type Alloc, heapAlloc } from './replay-kernel.js';

/** A column covers this much time at first; columns merge in pairs as the run grows. */
const FIRST_COLUMN_MS = 100;
/** At this many columns, neighbours merge in pairs (so a report holds between half and all of it). */
const MAX_COLUMNS = 200;
const VIRTUAL_ROWS = 64;
const ROWS_PER_NODE = 32;
/** Physical pages outside every node (holes) map here; nothing is ever counted in it. */
const NO_ROW = 255;

/** One address space of the heatmap: rows of contiguous pages, and counts per (column, row). */
export interface HeatmapSpace {
  /** First page of each row: a global virtual page (the workload's pages in process order) or a PFN. */
  rowStart: number[];
  /** Pages in each row. */
  rowPages: number[];
  /** Memory accesses (LLC misses) per column, one number per row. */
  accesses: number[][];
  /** Pages promoted from each row, as [column, row, pages] for the cells that had any. */
  promotions: [number, number, number][];
}

/** The run's hotness heatmap (time × address, as damo's `report heatmap`). */
export interface HeatmapReport {
  /** Width of the columns (the last may be shorter: see tMs). */
  columnMs: number;
  /** End of each column, in ms. */
  tMs: number[];
  /** The workload's pages (every process's, in order). */
  virtual: HeatmapSpace & { pages: number };
  /** Physical memory: each node's range split into rows (`firstRow`, `rows`). */
  physical: HeatmapSpace & { nodes: { id: number; tier: number; firstRow: number; rows: number }[] };
}

/** The smallest shift that puts `pages` into at most `rows` rows of 2^shift pages. */
function shiftFor(pages: number, rows: number): number {
  let shift = 0;
  while (Math.ceil(pages / 2 ** shift) > rows) shift++;
  return shift;
}

/** 2^result divides `pfn` (52 for 0: any shift a PFN can take). */
function trailingZeros(pfn: number): number {
  let n = 0;
  for (let x = pfn; x > 0 && x % 2 === 0; x /= 2) n++;
  return pfn === 0 ? 52 : n;
}

/**
 * Counts memory accesses per (time column, address row) for the workload's virtual pages and for
 * the machine's physical pages, and promotions per cell. An access costs two array increments
 * (no allocation); columns close every 100 ms of simulated time and merge in pairs when there are
 * MAX_COLUMNS of them, so memory stays bounded however long the run.
 */
export class HeatmapRecorder {
  // the replay loop increments these itself (a method call per access measured 20 % slower):
  // vcur[g >>> vshift]++ and pcur[prow[pfn >>> pshift]]++, as access() does
  readonly vshift: number;
  readonly pshift: number;
  /** Physical row by PFN >> pshift. */
  readonly prow: Uint8Array;
  /** This 100 ms's accesses per row; at most ~1.3 M per thread (100 ms at >= 80 ns an access), far below 2^32. */
  readonly vcur: Uint32Array;
  readonly pcur: Uint32Array;
  readonly #vrows: number;
  readonly #prows: number;
  readonly #vprom: Float64Array;
  readonly #pprom: Float64Array;
  readonly #columns: { tMs: number; v: Float64Array; p: Float64Array; vp: Float64Array; pp: Float64Array }[] = [];
  #finePerColumn = 1;
  #fineInColumn = 0;
  readonly #virtual: { pages: number; rowStart: number[]; rowPages: number[] };
  readonly #physical: { rowStart: number[]; rowPages: number[]; nodes: HeatmapReport['physical']['nodes'] };

  /** `alloc` makes the arrays the replay kernel reads and increments: prow, vcur and pcur. */
  constructor(machine: Machine, pages: number, alloc: Alloc = heapAlloc) {
    this.vshift = shiftFor(Math.max(1, pages), VIRTUAL_ROWS);
    this.#vrows = Math.max(1, Math.ceil(pages / 2 ** this.vshift));
    const vstep = 2 ** this.vshift;
    const vstarts = Array.from({ length: this.#vrows }, (_, r) => r * vstep);
    this.#virtual = { pages, rowStart: vstarts, rowPages: vstarts.map((s) => Math.min(vstep, pages - s)) };

    // each node gets up to ROWS_PER_NODE rows of 2^shift pages; one shift for all, from the
    // smallest node, so a PFN's row is one table lookup
    // (and no coarser than the alignment of the nodes' first PFNs, so no chunk straddles two nodes)
    const rowsPerNode = Math.max(1, Math.min(ROWS_PER_NODE, Math.floor(NO_ROW / machine.nodes.length)));
    this.pshift = Math.min(...machine.nodes.map((n) => Math.min(shiftFor(n.pages, rowsPerNode), trailingZeros(n.startPfn))));
    const endPfn = Math.max(...machine.nodes.map((n) => n.startPfn + n.pages));
    this.prow = alloc(Uint8Array, Math.ceil(endPfn / 2 ** this.pshift)).fill(NO_ROW);
    const rowStart: number[] = [];
    const rowPages: number[] = [];
    const nodes: HeatmapReport['physical']['nodes'] = [];
    for (const n of machine.nodes) {
      const chunks = Math.ceil(n.pages / 2 ** this.pshift);
      const perRow = Math.ceil(chunks / rowsPerNode);
      const rows = Math.ceil(chunks / perRow);
      const firstRow = rowStart.length;
      nodes.push({ id: n.id, tier: n.tier, firstRow, rows });
      const firstChunk = n.startPfn / 2 ** this.pshift;
      for (let c = 0; c < chunks; c++) this.prow[firstChunk + c] = firstRow + Math.floor(c / perRow);
      for (let r = 0; r < rows; r++) {
        const start = n.startPfn + r * perRow * 2 ** this.pshift;
        rowStart.push(start);
        rowPages.push(Math.min(perRow * 2 ** this.pshift, n.startPfn + n.pages - start));
      }
    }
    this.#physical = { rowStart, rowPages, nodes };
    this.#prows = rowStart.length;
    this.vcur = alloc(Uint32Array, this.#vrows);
    this.pcur = alloc(Uint32Array, this.#prows);
    this.#vprom = new Float64Array(this.#vrows);
    this.#pprom = new Float64Array(this.#prows);
  }

  /** One memory access to global virtual page `g`, mapped at `pfn`. */
  access(g: number, pfn: number): void {
    this.vcur[g >>> this.vshift]!++;
    this.pcur[this.prow[pfn >>> this.pshift]!]!++;
  }

  /** `pages` of global virtual page `g`'s folio promoted from `fromPfn`. */
  promoted(g: number, fromPfn: number, pages: number): void {
    this.#vprom[g >>> this.vshift]! += pages;
    this.#pprom[this.prow[fromPfn >>> this.pshift]!]! += pages;
  }

  /** End of a 100 ms bucket at `nowMs`. */
  closeFine(nowMs: number): void {
    if (++this.#fineInColumn === this.#finePerColumn) this.#closeColumn(nowMs);
  }

  /** End of the run: the partial last column, if it has any time. */
  finish(nowMs: number): void {
    const pending = this.#fineInColumn > 0 || this.vcur.some((x) => x > 0) || this.#vprom.some((x) => x > 0);
    if (pending && nowMs > (this.#columns.at(-1)?.tMs ?? 0)) this.#closeColumn(nowMs);
  }

  #closeColumn(nowMs: number): void {
    this.#fineInColumn = 0;
    this.#columns.push({ tMs: nowMs, v: Float64Array.from(this.vcur), p: Float64Array.from(this.pcur), vp: this.#vprom.slice(), pp: this.#pprom.slice() });
    this.vcur.fill(0);
    this.pcur.fill(0);
    this.#vprom.fill(0);
    this.#pprom.fill(0);
    if (this.#columns.length === MAX_COLUMNS) this.#mergePairs();
  }

  #mergePairs(): void {
    const merged = [];
    for (let i = 0; i < this.#columns.length; i += 2) {
      const a = this.#columns[i]!;
      const b = this.#columns[i + 1]!;
      for (const k of ['v', 'p', 'vp', 'pp'] as const) for (let r = 0; r < a[k].length; r++) a[k][r]! += b[k][r]!;
      a.tMs = b.tMs;
      merged.push(a);
    }
    this.#columns.splice(0, this.#columns.length, ...merged);
    this.#finePerColumn *= 2;
  }

  report(): HeatmapReport {
    const cols = this.#columns;
    const sparse = (k: 'vp' | 'pp') => {
      const out: [number, number, number][] = [];
      cols.forEach((c, i) => c[k].forEach((x, r) => x > 0 && out.push([i, r, x])));
      return out;
    };
    return {
      columnMs: FIRST_COLUMN_MS * this.#finePerColumn,
      tMs: cols.map((c) => c.tMs),
      virtual: { ...this.#virtual, accesses: cols.map((c) => [...c.v]), promotions: sparse('vp') },
      physical: { ...this.#physical, accesses: cols.map((c) => [...c.p]), promotions: sparse('pp') },
    };
  }
}
