import { describe, expect, it } from '@jest/globals';
import { imageRepository, isValidImageReference, parseImages, resolveContainer } from '../src/images.ts';

describe('image references', () => {
  it.each([
    'nginx',
    'nginx:1.27',
    'tripo04os-ai-support:0123456789abcdef',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/tripo04os-ai-support:abc',
    '127.0.0.1:5000/svc:v1',
    'localhost:5000/a/b/c:v1',
    `ghcr.io/tripo04os/app@sha256:${'a'.repeat(64)}`,
    `repo:tag@sha256:${'b'.repeat(64)}`,
  ])('accepts %s', (ref) => expect(isValidImageReference(ref)).toBe(true));

  it.each(['', 'Nginx', 'repo:', 'repo::tag', 'repo:tag with space', 'repo@sha256:abc', ':tag', 'a//b', 'repo:-tag', 'UPPER/repo:1'])(
    'rejects %j',
    (ref) => expect(isValidImageReference(ref)).toBe(false),
  );

  it.each([
    ['nginx:1', 'docker.io/library/nginx'],
    ['tripo04os/api:1', 'docker.io/tripo04os/api'],
    ['docker.io/library/nginx', 'docker.io/library/nginx'],
    ['127.0.0.1:5000/svc:v2', '127.0.0.1:5000/svc'],
    [`ghcr.io/o/a@sha256:${'c'.repeat(64)}`, 'ghcr.io/o/a'],
  ])('repository of %s is %s', (ref, repo) => expect(imageRepository(ref)).toBe(repo));
});

describe('parseImages', () => {
  it('reads deployment=image and deployment/container=image lines', () => {
    expect(parseImages(['ai-support=reg/ai-support:abc', 'dashboard-api/api=reg/dash:1'])).toEqual([
      { deployment: 'ai-support', container: undefined, image: 'reg/ai-support:abc', repository: 'docker.io/reg/ai-support' },
      { deployment: 'dashboard-api', container: 'api', image: 'reg/dash:1', repository: 'docker.io/reg/dash' },
    ]);
  });

  it.each([
    ['ai-support', 'expected lines of the form deployment=image'],
    ['=img:1', 'expected lines of the form'],
    ['ai-support=', 'expected lines of the form'],
    ['a/b/c=img:1', 'expected lines of the form'],
    ['Ai_Support=img:1', 'expected lines of the form'],
  ])('rejects the malformed line %j naming the input', (line, msg) => {
    expect(() => parseImages([line])).toThrow(`Input 'images' has the value '${line}': ${msg}`);
  });

  it('rejects an invalid image reference, naming it', () => {
    expect(() => parseImages(['api=Registry/API:latest'])).toThrow("'Registry/API:latest' is not a valid image reference");
  });

  it('rejects the same deployment twice', () => {
    expect(() => parseImages(['api=a:1', 'api=b:1'])).toThrow('at most once');
  });
});

describe('resolveContainer', () => {
  const entry = (line: string) => parseImages([line])[0] as ReturnType<typeof parseImages>[number];
  const containers = [
    { name: 'app', image: 'reg.example.com/ai-support:1' },
    { name: 'sidecar', image: 'reg.example.com/envoy:1' },
  ];

  it('uses the named container', () => {
    expect(resolveContainer(entry('d/sidecar=reg.example.com/envoy:2'), containers)).toEqual({
      name: 'sidecar',
      init: false,
      image: 'reg.example.com/envoy:1',
    });
  });
  it('finds a named init container', () => {
    expect(resolveContainer(entry('d/migrate=x:2'), containers, [{ name: 'migrate', image: 'x:1' }]).init).toBe(true);
  });
  it('fails on an unknown container name, listing the ones there are', () => {
    expect(() => resolveContainer(entry('d/nope=x:1'), containers)).toThrow("Deployment 'd' has no container 'nope' (it has app, sidecar)");
  });
  it('matches the container by image repository', () => {
    expect(resolveContainer(entry('d=reg.example.com/ai-support:2'), containers).name).toBe('app');
  });
  it('takes the only container when no repository matches', () => {
    expect(resolveContainer(entry('d=other:2'), [{ name: 'only', image: 'x:1' }]).name).toBe('only');
  });
  it('is an error when several containers could be meant', () => {
    expect(() => resolveContainer(entry('d=other:2'), containers)).toThrow(
      /none runs docker.io\/library\/other; name one: d\/CONTAINER=other:2/,
    );
    expect(() =>
      resolveContainer(entry('d=reg.example.com/ai-support:2'), [
        { name: 'a', image: 'reg.example.com/ai-support:1' },
        { name: 'b', image: 'reg.example.com/ai-support:0' },
      ]),
    ).toThrow('containers a, b all run');
  });
});
