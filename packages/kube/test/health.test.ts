import { describe, expect, it } from '@jest/globals';
import { parseStatusRange } from '../src/health.ts';

describe('parseStatusRange', () => {
  it.each([
    ['200', [200, 200]],
    ['200-399', [200, 399]],
    [' 204 - 204 ', [204, 204]],
  ])('%s', (text, range) => {
    expect(parseStatusRange(text)).toEqual(range);
  });

  it.each([
    ['300-200', "Input 'health-check-expect' has the value '300-200': expected a range with the low end first, such as 200-300"],
    ['2xx', "Input 'health-check-expect' has the value '2xx': expected a status code such as 200 or a range such as 200-399"],
    ['600', "Input 'health-check-expect' has the value '600': expected a status code such as 200 or a range such as 200-399"],
  ])('refuses %s naming the input (never an undefined to cast)', (text, message) => {
    expect(() => parseStatusRange(text)).toThrow(message);
  });
});
