/**
 * ddi_dma_attr(9S): what a driver says its DMA engine can do, normalised to numbers, and the
 * sanity checks the illumos root nexus applies when a handle is allocated
 * (rootnex_valid_alloc_parms): segment and counter limits of at least a page, a window size of at
 * least a page, addr_hi above addr_lo, a granularity that divides a page, at least one
 * scatter/gather entry, and a maximum cookie size of at least a page.
 */
import { hex } from '../../lib/hex';
import { KernelOops } from '../cpu';
import { DDI_DMA_BADATTR, DDI_SUCCESS, MMU_PAGEOFFSET, MMU_PAGESIZE } from './consts';

/** The driver-visible structure (uint64_t fields accept bigint or number). */
export interface DmaAttrFields {
  dma_attr_version: number;
  dma_attr_addr_lo: bigint | number;
  dma_attr_addr_hi: bigint | number;
  dma_attr_count_max: bigint | number;
  dma_attr_align: bigint | number;
  dma_attr_burstsizes: number;
  dma_attr_minxfer: number;
  dma_attr_maxxfer: bigint | number;
  dma_attr_seg: bigint | number;
  dma_attr_sgllen: number;
  dma_attr_granular: number;
  dma_attr_flags: number;
}

/** The attributes as the nexus uses them (addresses saturate at 2^53-1, the emulator's address space). */
export interface DmaAttr {
  lo: number;
  hi: number;
  countMax: number;
  align: number;
  burstsizes: number;
  minxfer: number;
  maxxfer: number;
  seg: number;
  sgllen: number;
  granular: number;
  flags: number;
  /** maxxfer trimmed to a whole multiple of granular (dp_maxxfer). */
  maxxferEff: number;
  /** The largest cookie: min(seg + 1, maxxfer, count_max + 1), at most 4 GiB - 1 (si_max_cookie_size). */
  maxseg: number;
  /** seg + 1: cookies never cross a multiple of it. */
  segSize: number;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const SAFE = Number.MAX_SAFE_INTEGER;

function u64(v: unknown, field: string, api: string): number {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw new KernelOops(`${api}(): ${field} = ${v} is not a uint64_t`);
    return v >= BigInt(SAFE) ? SAFE : Number(v);
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.min(v, SAFE);
  throw new KernelOops(`${api}(): ${field} must be a non-negative integer (bigint or number), got ${String(v)}`);
}

function int(v: unknown, field: string, api: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new KernelOops(`${api}(): ${field} must be an integer, got ${String(v)}`);
}

/** Read and normalise a ddi_dma_attr_t; malformed fields (wrong types) are an oops, like a bad pointer. */
export function readAttr(a: unknown, api: string): DmaAttr {
  if (!a || typeof a !== 'object') throw new KernelOops(`${api}(): attr must be a ddi_dma_attr_t, got ${String(a)}`);
  const f = a as Partial<DmaAttrFields>;
  const lo = u64(f.dma_attr_addr_lo ?? 0, 'dma_attr_addr_lo', api);
  const hi = u64(f.dma_attr_addr_hi, 'dma_attr_addr_hi', api);
  const countMax = u64(f.dma_attr_count_max, 'dma_attr_count_max', api);
  const align = u64(f.dma_attr_align ?? 1, 'dma_attr_align', api);
  const maxxfer = u64(f.dma_attr_maxxfer, 'dma_attr_maxxfer', api);
  const seg = u64(f.dma_attr_seg, 'dma_attr_seg', api);
  const sgllen = int(f.dma_attr_sgllen, 'dma_attr_sgllen', api);
  const granular = int(f.dma_attr_granular, 'dma_attr_granular', api);
  const burstsizes = int(f.dma_attr_burstsizes ?? 0, 'dma_attr_burstsizes', api);
  const minxfer = int(f.dma_attr_minxfer ?? 1, 'dma_attr_minxfer', api);
  const flags = int(f.dma_attr_flags ?? 0, 'dma_attr_flags', api);
  // rootnex_dma_allochdl: maxxfer a whole multiple of granularity; the largest cookie
  const maxxferEff = granular > 1 ? maxxfer - (maxxfer % granular) : maxxfer;
  const segSize = seg >= SAFE ? SAFE + 1 : seg + 1;
  const countSize = countMax >= SAFE ? SAFE + 1 : countMax + 1;
  let maxseg = Math.min(segSize, maxxferEff, countSize);
  if (maxseg === 0 || maxseg > 0xffff_ffff) maxseg = 0xffff_ffff;
  return { lo, hi, countMax, align, burstsizes, minxfer, maxxfer, seg, sgllen, granular, flags, maxxferEff, maxseg, segSize };
}

/** rootnex_valid_alloc_parms(): DDI_SUCCESS, or DDI_DMA_BADATTR with the reason. */
export function validateAttr(a: DmaAttr): { status: number; why?: string } {
  const bad = (why: string) => ({ status: DDI_DMA_BADATTR, why });
  if (a.seg < MMU_PAGEOFFSET) return bad(`dma_attr_seg ${hex(a.seg)} is below a page (${hex(MMU_PAGEOFFSET)})`);
  if (a.countMax < MMU_PAGEOFFSET) return bad(`dma_attr_count_max ${hex(a.countMax)} is below a page (${hex(MMU_PAGEOFFSET)})`);
  if (a.granular > MMU_PAGESIZE) return bad(`dma_attr_granular ${a.granular} is larger than a page`);
  if (a.maxxfer < MMU_PAGESIZE) return bad(`dma_attr_maxxfer ${hex(a.maxxfer)} is smaller than a page`);
  if (a.hi <= a.lo) return bad(`dma_attr_addr_hi ${hex(a.hi)} is not above dma_attr_addr_lo ${hex(a.lo)}`);
  if ((a.seg % MMU_PAGESIZE) !== MMU_PAGEOFFSET) return bad(`dma_attr_seg ${hex(a.seg)} does not end in ${hex(MMU_PAGEOFFSET)} (segments are whole pages)`);
  if (a.granular <= 0 || MMU_PAGESIZE & (a.granular - 1)) return bad(`dma_attr_granular ${a.granular} does not divide a page`);
  if (a.sgllen <= 0) return bad(`dma_attr_sgllen ${a.sgllen} must be at least 1`);
  if (a.maxseg < MMU_PAGESIZE) return bad(`the largest cookie min(seg + 1, maxxfer, count_max + 1) = ${a.maxseg} bytes is smaller than a page`);
  return { status: DDI_SUCCESS };
}
