import { InputError } from '@tripo04os/common';
import type { LoadedObject } from './manifests.ts';

/** A ConfigMap from `key=value` pairs (spec 7.3), as an object to apply. */
export function configMapObject(name: string, namespace: string, data: Record<string, string>): LoadedObject {
  return {
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data },
    file: "input 'config-map'",
    line: 0,
  };
}

/**
 * A Secret from environment variable names (spec 8.3: `kubectl create secret generic
 * --from-literal=NAME="$NAME"`). Values are returned so the caller masks them; they are sent
 * base64-encoded in `data` and never printed.
 */
export function secretObject(
  name: string,
  namespace: string,
  names: readonly string[],
  env: NodeJS.ProcessEnv,
): { object: LoadedObject; values: string[] } {
  const data: Record<string, string> = {};
  const values: string[] = [];
  for (const key of names) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new InputError('secret-env', key, 'expected names of environment variables');
    const v = env[key];
    if (v === undefined || v === '') {
      throw new InputError('secret-env', key, `expected the name of a set environment variable (${key} is not set; pass it with env:)`);
    }
    values.push(v);
    data[key] = Buffer.from(v, 'utf8').toString('base64');
  }
  return {
    object: {
      object: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace }, data },
      file: "input 'secret'",
      line: 0,
    },
    values,
  };
}
