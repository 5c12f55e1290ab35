/**
 * Builds schema.json, the field-number table protobuf.ts decodes request bodies with, from the
 * Kubernetes `generated.proto` files (k8s.io/api core/v1 and apps/v1, k8s.io/apimachinery meta/v1,
 * runtime, resource, intstr). Only messages reachable from the kinds the sandbox serves are kept.
 *
 *   node_modules/.bin/node packages/sandbox/src/cluster/proto/generate.ts DIR_WITH_PROTO_FILES
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Field = [name: string, type: string, kind: 'one' | 'many' | 'map', mapValue?: string];
const messages = new Map<string, Record<number, Field>>();
const dir = process.argv[2];
if (!dir) throw new Error('usage: generate.ts DIR');
const scalar = new Set([
  'string',
  'int32',
  'int64',
  'bool',
  'bytes',
  'double',
  'float',
  'uint32',
  'uint64',
  'fixed32',
  'fixed64',
  'sint32',
  'sint64',
]);
const short = (t: string) => (scalar.has(t) ? t : t.split('.').pop()!);

for (const f of readdirSync(dir).filter((x) => x.endsWith('.proto'))) {
  let current: Record<number, Field> | undefined;
  for (const raw of readFileSync(join(dir, f), 'utf8').split('\n')) {
    const line = raw.trim();
    let m = /^message (\w+) \{/.exec(line);
    if (m) {
      if (messages.has(m[1]!)) console.warn(`duplicate message ${m[1]} in ${f}; keeping the first`);
      current = {};
      if (!messages.has(m[1]!)) messages.set(m[1]!, current);
      continue;
    }
    if (line === '}') {
      current = undefined;
      continue;
    }
    if (!current) continue;
    m = /^map<(\S+), ?(\S+)> (\w+) = (\d+);/.exec(line);
    if (m) {
      current[Number(m[4])] = [m[3]!, 'map', 'map', short(m[2]!)];
      continue;
    }
    m = /^(optional|repeated) (\S+) (\w+) = (\d+);/.exec(line);
    if (m) current[Number(m[4])] = [m[3]!, short(m[2]!), m[1] === 'repeated' ? 'many' : 'one'];
  }
}

const roots = [
  'Namespace',
  'Pod',
  'Service',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Event',
  'Deployment',
  'ReplicaSet',
  'DeleteOptions',
  'Unknown',
];
const keep: Record<string, Record<number, Field>> = {};
const queue = [...roots];
while (queue.length) {
  const name = queue.pop()!;
  if (keep[name] || scalar.has(name)) continue;
  const msg = messages.get(name);
  if (!msg) {
    console.warn(`no message ${name}`);
    continue;
  }
  keep[name] = msg;
  for (const f of Object.values(msg)) {
    const t = f[2] === 'map' ? f[3]! : f[1];
    if (!scalar.has(t)) queue.push(t);
  }
}
writeFileSync(new URL('./schema.json', import.meta.url), `${JSON.stringify(keep)}\n`);
console.log(`${Object.keys(keep).length} messages`);
