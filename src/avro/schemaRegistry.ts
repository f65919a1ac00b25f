import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import avro from 'avsc';

/**
 * The repository's schema registry: `schemas/registry.json` lists, per subject, every schema
 * version with its id. Writers use a subject's last version; readers resolve any listed version
 * into it. Ids travel in the Confluent wire format (0x00, then the id as 4 bytes big-endian).
 *
 * @example
 *   const codec = subjectCodec<NormalizedEvent>('events.normalized-value');
 *   codec.decode(codec.encode(event)) // deep-equals event
 */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export interface SchemaVersion {
  id: number;
  version: number;
  file: string;
}

interface RegistryFile {
  subjects: Record<string, SchemaVersion[]>;
}

/** Finds `schemas/` walking up from this file, so both `src/` (ts-jest) and `dist/src/` (built) work. */
export function schemasDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'schemas', 'registry.json');
    if (existsSync(candidate)) return join(dir, 'schemas');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`schemas/registry.json not found above ${from}`);
    dir = parent;
  }
}

let registryCache: RegistryFile | undefined;

export function loadRegistry(dir: string = schemasDir()): RegistryFile {
  if (!registryCache) registryCache = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as RegistryFile;
  return registryCache;
}

export function readSchema(file: string, dir: string = schemasDir()): avro.Schema {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as avro.Schema;
}

/** Writes the 5-byte wire header in front of an Avro body. */
export function withWireHeader(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, WIRE_HEADER_BYTES);
  return out;
}

/** The schema id of a wire-format buffer, or an Error saying why it is not one. */
export function schemaIdOf(buf: Buffer): number {
  if (buf.length < WIRE_HEADER_BYTES) throw new Error(`not Avro wire format: ${buf.length} bytes, need at least ${WIRE_HEADER_BYTES}`);
  if (buf[0] !== MAGIC_BYTE) throw new Error(`not Avro wire format: magic byte ${buf[0]}, expected ${MAGIC_BYTE}`);
  return buf.readUInt32BE(1);
}

export interface SubjectCodec<T> {
  subject: string;
  /** Id of the schema writers use (the subject's last version). */
  writerId: number;
  /** The latest type, the shape every decode returns. */
  type: avro.Type;
  encode(value: T): Buffer;
  decode(buf: Buffer): T;
}

/**
 * A codec for one subject. `versions` may be given directly (tests simulate evolution with it);
 * by default they come from schemas/registry.json.
 */
export function subjectCodec<T>(subject: string, versions?: Array<{ id: number; schema: avro.Schema }>): SubjectCodec<T> {
  const list =
    versions ??
    (() => {
      const entries = loadRegistry().subjects[subject];
      if (!entries || entries.length === 0) throw new Error(`schema registry has no subject ${subject}`);
      return [...entries].sort((a, b) => a.version - b.version).map((e) => ({ id: e.id, schema: readSchema(e.file) }));
    })();
  const latest = list[list.length - 1];
  const type = avro.Type.forSchema(latest.schema);
  // One resolver per older writer schema, built once: decoding stays a table lookup.
  const readers = new Map<number, { type: avro.Type; resolver?: avro.Resolver }>();
  for (const v of list) {
    if (v.id === latest.id) {
      readers.set(v.id, { type });
    } else {
      const writer = avro.Type.forSchema(v.schema);
      readers.set(v.id, { type: writer, resolver: type.createResolver(writer) });
    }
  }
  return {
    subject,
    writerId: latest.id,
    type,
    encode(value: T): Buffer {
      return withWireHeader(latest.id, type.toBuffer(value));
    },
    decode(buf: Buffer): T {
      const id = schemaIdOf(buf);
      const reader = readers.get(id);
      if (!reader) throw new Error(`unknown schema id ${id} for ${subject} (known: ${[...readers.keys()].join(', ')})`);
      const body = buf.subarray(WIRE_HEADER_BYTES);
      return (reader.resolver ? type.fromBuffer(body, reader.resolver) : type.fromBuffer(body)) as T;
    },
  };
}
