/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`: the
 * `k8s\0` magic, a runtime.Unknown envelope, then the object) into the JSON shape. kubectl 1.32
 * sends built-in objects this way from its typed clients (`kubectl create namespace|deployment|
 * secret ...`). Field numbers come from proto/schema.json (generated from the upstream
 * generated.proto files by proto/generate.ts). Responses are always JSON, which clients accept.
 */
import { readFileSync } from 'node:fs';
import { badRequest } from './errors.ts';

type Field = [name: string, type: string, kind: 'one' | 'many' | 'map', mapValue?: string];
const SCHEMA = JSON.parse(readFileSync(new URL('./proto/schema.json', import.meta.url), 'utf8')) as Record<string, Record<string, Field>>;

/** Numeric fields whose zero is meaningful (pointers in the Go types); other zero scalars are dropped like omitempty does. */
const KEEP_ZERO = new Set([
  'replicas',
  'revisionHistoryLimit',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'priority',
  'exitCode',
  'port',
  'intVal',
]);

class Reader {
  pos = 0;
  readonly buf: Buffer;
  readonly end: number;
  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw badRequest('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw badRequest('truncated protobuf field');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw badRequest(`unsupported protobuf wire type ${wire}`);
  }
}

function scalar(type: string, wire: number, r: Reader): unknown {
  if (wire === 2) {
    const b = r.bytes();
    if (type === 'string') return b.toString('utf8');
    if (type === 'bytes') return Buffer.from(b);
    return b;
  }
  if (wire === 0) {
    const v = r.varint();
    if (type === 'bool') return v !== 0n;
    if (type === 'int32') return Number(BigInt.asIntN(32, v));
    return Number(BigInt.asIntN(64, v));
  }
  if (wire === 1) {
    const v = r.buf.readDoubleLE(r.pos);
    r.pos += 8;
    return v;
  }
  const v = r.buf.readFloatLE(r.pos);
  r.pos += 4;
  return v;
}

function special(type: string, obj: Record<string, unknown>): unknown {
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      const s = (obj.seconds as number) ?? 0;
      if (!s && !obj.nanos) return null;
      return new Date(s * 1000).toISOString().replace(
        /\.\d{3}Z$/,
        type === 'MicroTime'
          ? `.${String(obj.nanos ?? 0)
              .padStart(9, '0')
              .slice(0, 6)}Z`
          : 'Z',
      );
    }
    case 'Quantity':
      return obj.string ?? '0';
    case 'IntOrString':
      return obj.type === 1 ? (obj.strVal ?? '') : (obj.intVal ?? 0);
    case 'FieldsV1':
      return obj.Raw ? JSON.parse((obj.Raw as Buffer).toString('utf8')) : {};
    case 'RawExtension':
      return obj.raw ? JSON.parse((obj.raw as Buffer).toString('utf8')) : {};
    default:
      return undefined;
  }
}

function message(type: string, r: Reader): unknown {
  const schema = SCHEMA[type];
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = Number(r.varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    const f = schema?.[String(no)];
    if (!f) {
      r.skip(wire);
      continue;
    }
    const [name, ftype, kind, mapValue] = f;
    if (kind === 'map') {
      const entry = r.bytes();
      const er = new Reader(entry);
      let key = '';
      let value: unknown = mapValue === 'string' ? '' : undefined;
      while (er.pos < er.end) {
        const t = Number(er.varint());
        if (t >>> 3 === 1) key = String(scalar('string', t & 7, er));
        else if (t >>> 3 === 2) value = decodeValue(mapValue!, t & 7, er);
        else er.skip(t & 7);
      }
      if (Buffer.isBuffer(value)) value = value.toString('base64');
      const m = (out[name] ??= {}) as Record<string, unknown>;
      m[key] = value ?? (mapValue === 'bytes' ? '' : {});
      continue;
    }
    if (kind === 'many' && wire === 2 && ftype !== 'string' && ftype !== 'bytes' && isScalarType(ftype)) {
      // packed repeated scalars
      const b = r.bytes();
      const pr = new Reader(b);
      const list = (out[name] ??= []) as unknown[];
      while (pr.pos < pr.end) list.push(scalar(ftype, ftype === 'double' ? 1 : 0, pr));
      continue;
    }
    let v = decodeValue(ftype, wire, r);
    if (Buffer.isBuffer(v)) v = v.toString('base64');
    if (kind === 'many') ((out[name] ??= []) as unknown[]).push(v);
    else out[name] = v;
  }
  const sp = special(type, out);
  if (sp !== undefined || ['Time', 'MicroTime'].includes(type)) return sp;
  for (const [k, v] of Object.entries(out)) {
    if (v === '' || v === false || (v === 0 && !KEEP_ZERO.has(k))) delete out[k];
  }
  return out;
}

function isScalarType(t: string): boolean {
  return ['int32', 'int64', 'bool', 'double', 'float', 'uint32', 'uint64', 'sint32', 'sint64'].includes(t);
}

function decodeValue(type: string, wire: number, r: Reader): unknown {
  if (SCHEMA[type]) {
    const b = r.bytes();
    return message(type, new Reader(b));
  }
  return scalar(type, wire, r);
}

/** Decodes a protobuf-encoded object (with the `k8s\0` envelope) to its JSON form. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.readUInt32BE(0) !== 0x6b387300)
    throw badRequest('the body of the request was in an unknown format: missing the protobuf magic number');
  const r = new Reader(body, 4);
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  while (r.pos < r.end) {
    const tag = Number(r.varint());
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const tm = new Reader(r.bytes());
      while (tm.pos < tm.end) {
        const t = Number(tm.varint());
        if (t >>> 3 === 1) apiVersion = tm.bytes().toString('utf8');
        else if (t >>> 3 === 2) kind = tm.bytes().toString('utf8');
        else tm.skip(t & 7);
      }
    } else if (tag >>> 3 === 2 && (tag & 7) === 2) raw = r.bytes();
    else r.skip(tag & 7);
  }
  if (!SCHEMA[kind] || !raw)
    throw badRequest(
      `the body of the request was in an unknown format: protobuf for kind ${JSON.stringify(kind)} is not supported; send application/json`,
    );
  const obj = message(kind, new Reader(raw)) as Record<string, unknown>;
  return { apiVersion, kind, ...obj };
}
