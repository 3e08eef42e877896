/**
 * Reusable read buffers at a known page alignment. The kernel's copy from
 * the page cache into user memory ran four to six times slower (about 1.7
 * instead of 7-10 GB/s, measured with pread on AMD EPYC under KVM) when the
 * destination sat 1-31 bytes past the source modulo 4 KiB, and malloc'd
 * ArrayBuffers (Node's Buffer, typed arrays) start 16 bytes into a page.
 * A WebAssembly.Memory buffer starts on a page boundary, so each read can be
 * placed at its file position's own offset within a page.
 */

export const PAGE = 4096;
/** Bytes per WebAssembly memory page. */
export const WASM_PAGE = 65536;

export class ReadBuffer {
  private readonly bytes: Uint8Array;

  /** Bytes a read buffer of `capacity` occupies (a read may start up to a page in). */
  static getFootprint(capacity: number): number {
    return capacity + PAGE;
  }

  /**
   * Room for reads of up to `capacity` bytes: in a memory of its own, or at `byteOffset` (a multiple
   * of 4096) of a WebAssembly memory's `buffer` shared with code that reads the values there.
   */
  constructor(
    readonly capacity: number,
    place?: { buffer: ArrayBuffer; byteOffset: number },
  ) {
    const footprint = ReadBuffer.getFootprint(capacity);
    if (place) {
      if (place.byteOffset % PAGE || place.byteOffset + footprint > place.buffer.byteLength) {
        throw new Error(
          `reader: a ${footprint}-byte read buffer does not fit at byte ${place.byteOffset} of ${place.buffer.byteLength} (it must start on a 4096-byte page)`,
        );
      }
      this.bytes = new Uint8Array(place.buffer, place.byteOffset, footprint);
    } else {
      const pages = Math.ceil(footprint / WASM_PAGE);
      this.bytes = new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
    }
  }

  /**
   * A view of `length` bytes for a read from file byte `position`, at the same offset within a page (so as aligned as
   * the position).
   */
  getTarget(position: number, length: number): Uint8Array {
    if (length > this.capacity)
      throw new Error(`reader: a read of ${length} bytes does not fit a ${this.capacity}-byte read buffer`);
    const offset = position % PAGE;
    return this.bytes.subarray(offset, offset + length);
  }
}
