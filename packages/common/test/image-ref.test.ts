import { describe, expect, test } from '@jest/globals';
import {
  imageRepository,
  isValidImageName,
  isValidImageReference,
  parseImageReference,
  registryOf,
  repositoryPathOf,
} from '../src/index.ts';

describe('the image-reference grammar (one home for kube and image)', () => {
  test.each([
    [
      '127.0.0.1:5000/team/svc:v1@sha256:' + 'a'.repeat(64),
      { domain: '127.0.0.1:5000', path: 'team/svc', tag: 'v1', digest: `sha256:${'a'.repeat(64)}` },
    ],
    ['user/app', { path: 'user/app' }],
    ['ghcr.io/org/app:1.2.3', { domain: 'ghcr.io', path: 'org/app', tag: '1.2.3' }],
    ['localhost/app', { domain: 'localhost', path: 'app' }],
  ])('parses %s', (ref, parsed) => expect(parseImageReference(ref)).toEqual(parsed));

  test.each(['Foo/app', 'ghcr.io/Org/app', 'app:', '', 'a//b'])('rejects %s', (ref) => expect(isValidImageReference(ref)).toBe(false));

  test('an image name has neither tag nor digest', () => {
    expect(isValidImageName('ghcr.io/org/app')).toBe(true);
    expect(isValidImageName('ghcr.io/org/app:1')).toBe(false);
    expect(isValidImageName(`r.io/${'a'.repeat(255)}`)).toBe(false);
  });

  test('registry, repository path and the normalised repository', () => {
    expect(registryOf('nginx')).toBe('docker.io');
    expect(registryOf('127.0.0.1:5000/app')).toBe('127.0.0.1:5000');
    expect(repositoryPathOf('nginx')).toBe('library/nginx');
    expect(repositoryPathOf('ghcr.io/org/app')).toBe('org/app');
    expect(imageRepository('nginx:1.27')).toBe('docker.io/library/nginx');
    expect(imageRepository('ghcr.io/org/app@sha256:' + 'b'.repeat(64))).toBe('ghcr.io/org/app');
  });
});
