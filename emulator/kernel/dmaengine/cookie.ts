/**
 * Cookies (drivers/dma/dmaengine.h): each submitted descriptor gets the channel's next cookie; the
 * channel remembers the last cookie it handed out and the last one that completed, and a cookie's
 * status follows from where it lies between the two (with wrap-around), as dma_async_is_complete
 * computes it.
 */
import { DMA_COMPLETE, DMA_IN_PROGRESS, DMA_MIN_COOKIE } from './constants';

export interface CookieState {
  /** Last cookie handed out (`chan->cookie`). */
  cookie: number;
  /** Last cookie completed (`chan->completed_cookie`). */
  completed_cookie: number;
}

/** dma_cookie_init */
export function cookieInit(c: CookieState): void {
  c.cookie = DMA_MIN_COOKIE;
  c.completed_cookie = DMA_MIN_COOKIE;
}

/** dma_cookie_assign: the next cookie, wrapping to DMA_MIN_COOKIE after INT_MAX. */
export function cookieAssign(c: CookieState): number {
  let cookie = c.cookie + 1;
  if (cookie > 0x7fff_ffff || cookie < DMA_MIN_COOKIE) cookie = DMA_MIN_COOKIE;
  c.cookie = cookie;
  return cookie;
}

/** dma_async_is_complete */
export function isComplete(cookie: number, lastComplete: number, lastUsed: number): number {
  if (lastComplete <= lastUsed) {
    if (cookie <= lastComplete || cookie > lastUsed) return DMA_COMPLETE;
  } else if (cookie <= lastComplete && cookie > lastUsed) return DMA_COMPLETE;
  return DMA_IN_PROGRESS;
}

/** dma_cookie_status without the residue. */
export function cookieStatus(c: CookieState, cookie: number): number {
  return isComplete(cookie, c.completed_cookie, c.cookie);
}
