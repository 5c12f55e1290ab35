import { UserError } from '@tripo04os/common';
import { KubeApiError, type KubeClient } from './client.ts';
import { KINDS, type Manifest, objectPath } from './manifests.ts';

export const FIELD_MANAGER = 'tripo04os-actions';

/** Server-side apply (field manager tripo04os-actions, force) of one object; returns the object as stored. */
export function serverSideApply<T = Manifest>(client: KubeClient, object: Manifest): Promise<T> {
  return client.request<T>('PATCH', objectPath(object.kind, object.metadata.namespace, object.metadata.name), {
    query: { fieldManager: FIELD_MANAGER, force: 'true' },
    // client-node's patch helpers default to JSON Patch; apply needs its own content type (JSON is YAML).
    contentType: 'application/apply-patch+yaml',
    body: object,
  });
}

/** Reads one object; undefined when it does not exist. */
export function readObject<T = Manifest>(
  client: KubeClient,
  kind: string,
  namespace: string | undefined,
  name: string,
): Promise<T | undefined> {
  return client.request<T | undefined>('GET', objectPath(kind, namespace, name), { allow: [404] });
}

/** A strategic merge patch (Content-Type set explicitly: the default would be JSON Patch). */
export function strategicPatch<T>(client: KubeClient, kind: string, namespace: string, name: string, patch: unknown): Promise<T> {
  return client.request<T>('PATCH', objectPath(kind, namespace, name), {
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
  });
}

export function deleteObject(client: KubeClient, kind: string, namespace: string | undefined, name: string): Promise<unknown> {
  return client.request('DELETE', objectPath(kind, namespace, name), {
    body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    allow: [404],
  });
}

/** Reads, turning 401/403 into one clear line. */
export async function readExplained<T>(client: KubeClient, kind: string, ns: string | undefined, name: string): Promise<T | undefined> {
  try {
    return await readObject<T>(client, kind, ns, name);
  } catch (err) {
    throw await client.explain(err, `get ${KINDS[kind]?.plural ?? kind} in ${ns ? `namespace ${ns}` : 'the cluster'}`);
  }
}

/** Fails with one line when a namespace does not exist (403 on namespaces is not an answer: skip). */
export async function checkNamespace(client: KubeClient, ns: string, usedBy: string): Promise<void> {
  try {
    const found = await readObject(client, 'Namespace', undefined, ns);
    if (!found) throw new UserError(`Namespace '${ns}' does not exist (${usedBy}): create it or add a Namespace manifest`);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) return;
    throw await client.explain(err, 'get namespaces');
  }
}
