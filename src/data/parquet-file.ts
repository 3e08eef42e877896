/**
 * One parquet file of a Hugging Face dataset repository: a file-backed
 * hyparquet `AsyncBuffer`, footer validation (magic bytes, length, schema)
 * with one-line errors naming the file, and what `datasets` records in the
 * footer's `huggingface` key-value metadata (ClassLabel names). Rows are read
 * a row group at a time, so memory is bounded by the largest row group.
 */
import { promises as fs } from 'node:fs';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const MAGIC = 'PAR1';

/** What the index keeps of a file's footer. */
export interface ParquetFileInfo {
  /** Rows in each row group, in file order. */
  rowGroups: number[];
  /** ClassLabel names of `label` from the `huggingface` footer metadata, or null. */
  labelNames: string[] | null;
  /** Whether the file has a `label` column. */
  hasLabel: boolean;
  /** Compressed bytes of each row group's `image` column. */
  imageBytes: number[];
  /** Whether every `image` column chunk has an offset index (so part of a row group can be read). */
  offsetIndex: boolean;
}

/** One decoded row of the `image` and `label` columns. */
export interface ImageRow {
  bytes: Uint8Array | null;
  path: string | null;
  label: number;
}

/** An `AsyncBuffer` over a local file; each slice is one positioned read. */
export async function openParquetBuffer(file: string): Promise<AsyncBuffer> {
  const { size } = await fs.stat(file).catch((error: Error) => {
    throw new Error(`data: cannot open ${file} (${error.message.split('\n')[0]})`);
  });
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const length = Math.max(0, end - start);
      const out = new Uint8Array(length);
      if (length === 0) return out.buffer;
      const handle = await fs.open(file, 'r');
      try {
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(out, done, length - done, start + done);
          if (bytesRead === 0)
            throw new Error(`data: ${file} ended at byte ${start + done} of ${size} (file truncated while reading?)`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return out.buffer;
    },
  };
}

async function checkMagic(file: string, buffer: AsyncBuffer): Promise<void> {
  if (buffer.byteLength < 12)
    throw new Error(`data: ${file} is not a parquet file (${buffer.byteLength} bytes; truncated?); re-download it`);
  const text = (b: ArrayBuffer) => Buffer.from(b).toString('latin1');
  const head = text(await buffer.slice(0, 4));
  const tail = new Uint8Array(await buffer.slice(buffer.byteLength - 8, buffer.byteLength));
  if (head !== MAGIC)
    throw new Error(`data: ${file} is not a parquet file (no PAR1 magic at its start); re-download it`);
  if (Buffer.from(tail.subarray(4)).toString('latin1') !== MAGIC) {
    throw new Error(
      `data: ${file} has no parquet footer (no PAR1 magic at its end: truncated or corrupt); re-download it`,
    );
  }
  const footerLength = new DataView(tail.buffer, tail.byteOffset).getUint32(0, true);
  if (footerLength + 12 > buffer.byteLength) {
    throw new Error(
      `data: ${file} has a bad parquet footer (footer length ${footerLength} exceeds the ${buffer.byteLength}-byte file: truncated or corrupt); re-download it`,
    );
  }
}

/** Reads and checks a file's footer. */
export async function readParquetMetadata(file: string, buffer: AsyncBuffer): Promise<FileMetaData> {
  await checkMagic(file, buffer);
  try {
    return await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new Error(
      `data: ${file} has a bad parquet footer (${(error as Error).message.split('\n')[0]}); re-download it`,
      { cause: error },
    );
  }
}

/**
 * ClassLabel names of `label` as `datasets` writes them: `{"info": {"features": {"label": {"_type": "ClassLabel",
 * "names": [...]}}}}`.
 */
export function getLabelNames(file: string, metadata: FileMetaData): string[] | null {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface');
  if (entry?.value === undefined) return null;
  let doc: { info?: { features?: Record<string, { _type?: string; names?: unknown }> } };
  try {
    doc = JSON.parse(entry.value);
  } catch {
    throw new Error(`data: ${file} has unreadable 'huggingface' footer metadata (not JSON); re-download it`);
  }
  const label = doc.info?.features?.label;
  if (label?._type !== 'ClassLabel' || !Array.isArray(label.names)) return null;
  return label.names.map(String);
}

/** Validates the schema (an `image` struct with `bytes`; optional integer `label`) and returns the index entry. */
export function getParquetFileInfo(file: string, metadata: FileMetaData): ParquetFileInfo {
  const tree = parquetSchema(metadata);
  const columns = tree.children.map((c) => c.element.name);
  const image = tree.children.find((c) => c.element.name === 'image');
  if (image === undefined) {
    throw new Error(
      `data: ${file} has no 'image' column (columns: ${columns.join(', ')}); expected a Hugging Face dataset with an Image feature named 'image'`,
    );
  }
  if (!image.children.some((c) => c.element.name === 'bytes' && c.element.type === 'BYTE_ARRAY')) {
    throw new Error(
      `data: ${file}'s 'image' column is not an Image feature (expected a struct with binary 'bytes'); found ${image.children.map((c) => c.element.name).join(', ') || image.element.type}`,
    );
  }
  const label = tree.children.find((c) => c.element.name === 'label');
  if (label !== undefined && !['INT32', 'INT64'].includes(label.element.type ?? '')) {
    throw new Error(
      `data: ${file}'s 'label' column is ${label.element.type ?? 'a group'}, expected integer class indices (a ClassLabel)`,
    );
  }
  const imageChunks = metadata.row_groups.map((g) =>
    g.columns.filter((c) => c.meta_data?.path_in_schema[0] === 'image'),
  );
  return {
    rowGroups: metadata.row_groups.map((g) => Number(g.num_rows)),
    labelNames: getLabelNames(file, metadata),
    hasLabel: label !== undefined,
    imageBytes: imageChunks.map((chunks) =>
      chunks.reduce((n, c) => n + Number(c.meta_data?.total_compressed_size ?? 0), 0),
    ),
    // partial reads pay off when the big `image.bytes` pages are not behind a dictionary page
    offsetIndex: imageChunks.every((chunks) =>
      chunks.every(
        (c) =>
          c.offset_index_offset !== undefined &&
          c.offset_index_length !== undefined &&
          (c.meta_data?.path_in_schema[1] !== 'bytes' || !c.meta_data?.dictionary_page_offset),
      ),
    ),
  };
}

/**
 * Rows [rowStart, rowEnd) of the `image` and `label` columns, within one row group for bounded memory;
 * with `useOffsetIndex`, only the pages holding those rows are fetched (part of a large row group).
 */
export async function readImageRows(
  file: string,
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  rowStart: number,
  rowEnd: number,
  hasLabel: boolean,
  useOffsetIndex = false,
): Promise<ImageRow[]> {
  let rows: Array<Record<string, unknown>>;
  try {
    const columns = hasLabel ? ['image', 'label'] : ['image'];
    rows = await parquetReadObjects({
      file: buffer,
      metadata,
      columns,
      rowStart,
      rowEnd,
      compressors,
      rowFormat: 'object',
      utf8: false,
      useOffsetIndex,
    });
  } catch (error) {
    throw new Error(
      `data: ${file} rows ${rowStart}-${rowEnd - 1} cannot be read (${(error as Error).message.split('\n')[0]}); the file is corrupt, re-download it`,
      { cause: error },
    );
  }
  if (rows.length !== rowEnd - rowStart)
    throw new Error(`data: ${file} gave ${rows.length} rows for rows ${rowStart}-${rowEnd - 1}; the file is corrupt`);
  return rows.map((row) => {
    // utf8: false keeps binary as bytes (hyparquet would otherwise decode some binary pages as text)
    const image = (row.image ?? null) as {
      bytes?: Uint8Array | string | null;
      path?: Uint8Array | string | null;
    } | null;
    const label = row.label === undefined || row.label === null ? -1 : Number(row.label);
    const bytes = typeof image?.bytes === 'string' ? Buffer.from(image.bytes, 'latin1') : (image?.bytes ?? null);
    const rawPath = image?.path ?? null;
    return {
      bytes,
      path: rawPath === null || typeof rawPath === 'string' ? rawPath : Buffer.from(rawPath).toString('utf8'),
      label,
    };
  });
}
