/**
 * Page-aligned buffers for writing blobs with O_DIRECT. Through the page cache, each gigabyte of a
 * layer costs a second or more of CPU on a virtual machine (copying into fresh page-cache pages,
 * then writing them back); written directly, the device reads the buffer itself. O_DIRECT needs
 * the buffer's address aligned to the device's block, which Node's allocations do not promise, but
 * WebAssembly memory starts on a page boundary: one memory, made at the first use, cut into slots.
 */

/**
 * The size of a slot: a multiple of any block size a device has (up to 64 KiB pages), and large,
 * as each write call costs tens of microseconds of thread wake-ups on a virtual machine.
 */
export const ALIGNED_BUFFER_BYTES = 4 << 20;
/** Slots in all (64 MiB, committed as used): a blob writer takes a few; writers finding none write through the page cache. */
const SLOTS = 16;
const WASM_PAGE = 64 << 10;

/** The part of the WebAssembly API used here (ES2022's lib has no WebAssembly types). */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer } };

let free: Buffer[] | undefined;

/** Up to `count` free slots (none when the pool is used up or WebAssembly is unavailable). */
export function takeAlignedBuffers(count: number): Buffer[] {
  if (free === undefined) {
    free = [];
    try {
      const pages = (SLOTS * ALIGNED_BUFFER_BYTES) / WASM_PAGE;
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      for (let i = 0; i < SLOTS; i++) free.push(Buffer.from(memory.buffer, i * ALIGNED_BUFFER_BYTES, ALIGNED_BUFFER_BYTES));
    } catch {
      // No WebAssembly (--jitless, say): every blob is written through the page cache.
    }
  }
  return free.splice(0, Math.min(count, free.length));
}

/** Gives slots back once nothing reads or writes them any more. */
export function returnAlignedBuffers(buffers: readonly Buffer[]): void {
  free?.push(...buffers);
}
