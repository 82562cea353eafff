import { PAGES_PER_SECTION, SECTION_SHIFT } from './constants.js';
import type { Topology } from './topology.js';
import type { RecordKernel } from './wasm/kernel.js';

/**
 * The hotness store: one record per lower-tier PFN in per-section typed arrays (as the kernel hangs
 * them off mem_section), none for top-tier sections, each section allocated on its first record.
 * A section hot flag is set by recorders when a record turns ready and test-and-cleared by kmigrated.
 */
abstract class SectionStore<A extends Uint8Array | Uint32Array> {
  /** Per section: its records, or a shared empty array until first use (one element kind: no holes). */
  readonly sections: A[];
  readonly sectionHot: Uint8Array;
  /** 1 for sections that may hold records: they overlap a lower-tier node. */
  readonly sectionHasRecords: Uint8Array;
  allocatedSections = 0;

  constructor(topology: Topology, empty: A, sectionHot?: Uint8Array) {
    const n = topology.sectionNode.length;
    this.sections = new Array<A>(n).fill(empty);
    this.sectionHot = sectionHot ?? new Uint8Array(n);
    this.sectionHasRecords = new Uint8Array(n);
    for (const nid of topology.lowerTierNodeIds) for (const s of topology.sectionsOf(nid)) this.sectionHasRecords[s] = 1;
  }

  abstract readonly bytesPerRecord: number;
  protected abstract allocate(sec: number): A;

  /** The records of a section, allocating them on first use. */
  section(sec: number): A {
    let records = this.sections[sec]!;
    if (records.length === 0) {
      records = this.allocate(sec);
      this.sections[sec] = records;
      this.allocatedSections++;
    }
    return records;
  }

  /** Test-and-clear a section's hot flag, as kmigrated does before walking it. */
  testAndClearHot(sec: number): boolean {
    if (this.sectionHot[sec] === 0) return false;
    this.sectionHot[sec] = 0;
    return true;
  }

  /** Bytes of record arrays allocated so far. */
  get bytes(): number {
    return this.allocatedSections * PAGES_PER_SECTION * this.bytesPerRecord;
  }

  /** The record word of a PFN, or -1 when its section has no records yet. */
  read(pfn: number): number {
    const records = this.sections[pfn >>> SECTION_SHIFT];
    return records === undefined || records.length === 0 ? -1 : records[pfn & (PAGES_PER_SECTION - 1)]!;
  }
}

const EMPTY8 = new Uint8Array(0);
const EMPTY32 = new Uint32Array(0);

export class DefaultStore extends SectionStore<Uint8Array> {
  readonly bytesPerRecord = 1;
  readonly #kernel: RecordKernel | null;
  /** With a kernel, records live in its WebAssembly memory. */
  constructor(topology: Topology, kernel: RecordKernel | null = null) {
    super(topology, EMPTY8, kernel?.sectionHot);
    this.#kernel = kernel;
  }
  protected allocate(sec: number): Uint8Array {
    return this.#kernel ? this.#kernel.allocSection8(sec) : new Uint8Array(PAGES_PER_SECTION);
  }
}

export class PrecisionStore extends SectionStore<Uint32Array> {
  readonly bytesPerRecord = 4;
  readonly #kernel: RecordKernel | null;
  constructor(topology: Topology, kernel: RecordKernel | null = null) {
    super(topology, EMPTY32, kernel?.sectionHot);
    this.#kernel = kernel;
  }
  protected allocate(sec: number): Uint32Array {
    return this.#kernel ? this.#kernel.allocSection32(sec) : new Uint32Array(PAGES_PER_SECTION);
  }
}
