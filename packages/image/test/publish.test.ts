/**
 * The publish order and the tag checks, as pure functions: which tags are immutable, which
 * references carry the upload, and tags docker would refuse caught before anything happens.
 * publish() itself runs against the real registry in publish-sandbox.test.ts and through the
 * bundle in actions/docker-build/test/e2e.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import {
  checkTags,
  type GitContext,
  isValidTag,
  parseFlavor,
  parseTagRules,
  publishOrder,
  repositoryOfRef,
  uploadRefs,
} from '../src/index.ts';

const ctx = (ref: string): GitContext => ({
  eventName: 'push',
  ref,
  sha: '90dd6032fac8bda1b6c4436a2e65de27961ed071',
  payload: { repository: { default_branch: 'main' } },
  now: new Date('2026-11-30T10:00:00Z'),
});

describe('tags', () => {
  test.each([
    ['main', true],
    ['sha-90dd603', true],
    ['_x', true],
    ['1.2.3', true],
    ['-bad', false],
    ['.hidden', false],
    ['', false],
    ['a'.repeat(129), false],
  ])('%s is a valid tag: %s', (tag, ok) => expect(isValidTag(tag)).toBe(ok));

  test('immutable: the commit, a full version, a git tag; mutable: branches, major.minor, raw values', () => {
    const rules = parseTagRules([
      'type=sha',
      'type=ref,event=branch',
      'type=ref,event=tag',
      'type=semver,pattern={{version}}',
      'type=semver,pattern={{major}}.{{minor}}',
      'type=raw,value=stable',
    ]);
    expect([...checkTags(rules, parseFlavor([]), ctx('refs/tags/v1.2.3')).immutable].sort()).toEqual(['1.2.3', 'sha-90dd603', 'v1.2.3']);
    expect([...checkTags(rules, parseFlavor([]), ctx('refs/heads/main')).immutable]).toEqual(['sha-90dd603']);
  });

  test('a tag that both kinds of rule give is mutable', () => {
    const rules = parseTagRules(['type=sha,format=long,prefix=', 'type=raw,value={{sha}}']);
    const c = ctx('refs/heads/main');
    expect(checkTags(rules, parseFlavor([]), { ...c, sha: '1234567' }).immutable.has('1234567')).toBe(false);
  });

  test.each([
    ['type=raw,value=-rc', "Input 'tags' has the value 'type=raw,value=-rc': it gives the tag '-rc'; a tag starts with a letter"],
    ['type=sha,prefix=.', "Input 'tags' has the value 'type=sha,prefix=.': it gives the tag '.90dd603'"],
  ])('%s is refused before anything happens', (line, message) => {
    expect(() => checkTags(parseTagRules([line]), parseFlavor([]), ctx('refs/heads/main'))).toThrow(message);
  });
});

describe('publish order', () => {
  const mutable = (ref: string) => !/:sha-/.test(ref);
  const refs = ['r:5000/app:main', 'r:5000/app:sha-1', 'r:5000/app:latest', 'r:5000/other:main', 'h.io/app:sha-1'];

  test('immutable references first, each repository uploaded once under its first one', () => {
    expect(publishOrder(refs, mutable)).toEqual([
      'r:5000/app:sha-1',
      'h.io/app:sha-1',
      'r:5000/app:main',
      'r:5000/app:latest',
      'r:5000/other:main',
    ]);
    expect(uploadRefs(refs, mutable)).toEqual(['r:5000/app:sha-1', 'h.io/app:sha-1', 'r:5000/other:main']);
  });

  test('the repository of a reference keeps the registry port', () => {
    expect(repositoryOfRef('127.0.0.1:5000/team/app:v1')).toBe('127.0.0.1:5000/team/app');
  });
});
