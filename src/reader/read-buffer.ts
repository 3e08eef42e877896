/**
 * Reusable read buffers at a known page alignment. The kernel's copy from
 * the page cache into user memory ran four to six times slower (about 1.7
 * instead of 7-10 GB/s, measured with pread on AMD EPYC under KVM) when the
 * destination sat 1-31 bytes past the source modulo 4 KiB, and malloc'd
 * ArrayBuffers (Node's Buffer, typed arrays) start 16 bytes into a page.
 * A WebAssembly.Memory buffer starts on a page boundary, so each read can be
 * placed at its file position's own offset within a page.
 */

const PAGE = 4096;
/** Bytes per WebAssembly memory page. */
export const WASM_PAGE = 65536;

export class ReadBuffer {
  private readonly bytes: Uint8Array;

  /** Room for reads of up to `capacity` bytes. */
  constructor(readonly capacity: number) {
    const pages = Math.ceil((capacity + PAGE) / WASM_PAGE);
    this.bytes = new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  }

  /** A view of `length` bytes for a read from file byte `position`, at the same offset within a page (so as aligned as the position). */
  getTarget(position: number, length: number): Uint8Array {
    if (length > this.capacity) throw new Error(`reader: a read of ${length} bytes does not fit a ${this.capacity}-byte read buffer`);
    const offset = position % PAGE;
    return this.bytes.subarray(offset, offset + length);
  }
}
