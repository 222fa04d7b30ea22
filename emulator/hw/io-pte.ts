/**
 * IOMMU page-table entry formats: 4 KiB granule, four levels of 512 entries, 48-bit IOVA. The
 * kernel's io-pgtable code writes entries in RAM with `encode`; the IOMMU's walker reads them back
 * with `decode`. Each format only expresses what its hardware can: an SMMU stage-1 descriptor
 * has no way to say "write-only", so a write-only request becomes read/write, as in Linux.
 */
export const IO_PAGE_SHIFT = 12;
export const IO_PAGE_SIZE = 1 << IO_PAGE_SHIFT;
export const IO_LEVELS = 4;
export const IOVA_BITS = 48;

export interface Prot {
  read: boolean;
  write: boolean;
}

export interface Decoded {
  valid: boolean;
  /** Next-level table (non-leaf) or page (leaf) physical address. */
  addr: number;
  read: boolean;
  write: boolean;
}

export interface PteFormat {
  readonly name: string;
  encodeTable(tablePhys: number): number;
  encodeLeaf(pagePhys: number, prot: Prot): number;
  /** A level-2 block entry mapping 2 MiB at once (what io-pgtable uses when both addresses are 2 MiB-aligned). */
  encodeBlock(blockPhys: number, prot: Prot): number;
  decode(pte: number, leaf: boolean): Decoded;
  /** Hot-path leaf decode without allocation: page address + (read ? 1 : 0) + (write ? 2 : 0), or -1 when invalid. */
  leaf(pte: number): number;
  /**
   * Hot-path decode of a level-2..4 entry: a table gives its address (a multiple of 4096), a
   * block gives address + permission bits (1..3), an invalid entry -1.
   */
  upper(pte: number): number;
}

/** Size of a level-2 block. */
export const BLOCK_SIZE = 2 * 1024 * 1024;

const ADDR_MASK_LO = 0xfffff000; // bits 12..31 of the low word
const HI = 0x1_0000_0000;

/** Bits 12..51 of an entry: the address it points at. */
function addrOf(pte: number): number {
  const lo = pte % HI;
  const hi = Math.floor(pte / HI);
  return (hi & 0xfffff) * HI + ((lo & ADDR_MASK_LO) >>> 0);
}

/** Intel VT-d second-level format: bit 0 Read, bit 1 Write, bits 12..51 address. No separate present bit. */
export const vtdFormat: PteFormat = {
  name: 'VT-d second-level',
  encodeTable: (p) => p + 0b11,
  encodeLeaf: (p, prot) => p + (prot.read ? 1 : 0) + (prot.write ? 2 : 0),
  decode(pte, _leaf) {
    const lo = pte % HI;
    const read = (lo & 1) !== 0;
    const write = (lo & 2) !== 0;
    return { valid: read || write, addr: addrOf(pte), read, write };
  },
  leaf(pte) {
    const perm = (pte % HI) & 3;
    return perm ? addrOf(pte) + perm : -1;
  },
  // bit 7: PS (super page)
  encodeBlock: (p, prot) => (prot.read || prot.write ? p + (1 << 7) + (prot.read ? 1 : 0) + (prot.write ? 2 : 0) : 0),
  upper(pte) {
    const lo = pte % HI;
    const perm = lo & 3;
    if (!perm) return -1;
    return lo & (1 << 7) ? addrOf(pte) + perm : addrOf(pte);
  },
};

/** Arm LPAE stage-1 (SMMU): bit 0 valid, bit 1 table/page, AP[2] (bit 7) read-only, AP[1] (bit 6) unprivileged, AF (bit 10). */
export const lpaeS1Format: PteFormat = {
  name: 'Arm LPAE stage-1',
  encodeTable: (p) => p + 0b11,
  encodeLeaf: (p, prot) => {
    if (!prot.read && !prot.write) return 0;
    const rdonly = !prot.write ? 1 << 7 : 0;
    return p + 0b11 + (1 << 6) + rdonly + (1 << 10);
  },
  decode(pte, leaf) {
    const lo = pte % HI;
    const valid = (lo & 1) !== 0 && (lo & 2) !== 0; // level-3 pages and tables both have bits 0b11
    if (!valid) return { valid: false, addr: 0, read: false, write: false };
    if (!leaf) return { valid, addr: addrOf(pte), read: true, write: true };
    const af = (lo & (1 << 10)) !== 0;
    return { valid: valid && af, addr: addrOf(pte), read: af, write: af && (lo & (1 << 7)) === 0 };
  },
  leaf(pte) {
    const lo = pte % HI;
    if ((lo & 0b11) !== 0b11 || (lo & (1 << 10)) === 0) return -1;
    return addrOf(pte) + 1 + ((lo & (1 << 7)) === 0 ? 2 : 0);
  },
  // a block descriptor has bits[1:0] = 0b01
  encodeBlock: (p, prot) => (prot.read || prot.write ? p + 0b01 + (1 << 6) + (!prot.write ? 1 << 7 : 0) + (1 << 10) : 0),
  upper(pte) {
    const lo = pte % HI;
    const type = lo & 0b11;
    if (type === 0b11) return addrOf(pte);
    if (type !== 0b01 || (lo & (1 << 10)) === 0) return -1;
    return addrOf(pte) + 1 + ((lo & (1 << 7)) === 0 ? 2 : 0);
  },
};

const LEVEL_DIV = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];

/** Index of `iova` at `level` (4 = top .. 1 = leaf). */
export function levelIndex(iova: number, level: number): number {
  return Math.floor(iova / LEVEL_DIV[level]) % 512;
}
