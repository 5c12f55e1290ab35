import { isLoopbackHost, isLoopbackUrl, redactUrl } from '../src/net.ts';

describe('isLoopbackHost: 127.0.0.0/8, ::1 and localhost exactly', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '[::1]'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each([
    'localhost.example.com',
    'example.localhost',
    '127.example.com',
    '127.0.0.256',
    '127.0.0',
    '128.0.0.1',
    '0.0.0.0',
    '10.0.0.1',
    '::2',
    '[::ffff:127.0.0.1]',
    '',
  ])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('isLoopbackUrl', () => {
  it('reads the hostname the URL parser sees', () => {
    expect(isLoopbackUrl('http://127.0.0.1:8080/x')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:9/')).toBe(true);
    expect(isLoopbackUrl('http://localhost.example.com/')).toBe(false);
    expect(isLoopbackUrl('http://127.0.0.1@example.com/')).toBe(false);
    expect(isLoopbackUrl('not a url')).toBe(false);
  });
});

describe('redactUrl', () => {
  it('drops userinfo and keeps the rest', () => {
    expect(redactUrl('https://user:s3cret@example.com/p?q=1')).toBe('https://example.com/p?q=1');
    expect(redactUrl('https://example.com/p')).toBe('https://example.com/p');
    expect(redactUrl('//user:s3cret@x')).not.toContain('s3cret');
  });
});
