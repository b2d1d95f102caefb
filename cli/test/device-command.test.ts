import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandParams } from '../commands/device-command.ts';

test('--param k=v: numbers, flags, and clear errors', () => {
  assert.equal(parseCommandParams(['message=1', 'volume=80', 'on=true', 'level=-2.5']), { message: 1, volume: 80, on: true, level: -2.5 });
  assert.equal(parseCommandParams([]), {});
  const bad: Array<[string[], RegExp]> = [
    [['message'], /name=value/],
    [['=1'], /name=value/],
    [['a=1', 'a=2'], /given twice/],
    [['a=loud'], /neither a number nor true\/false/],
    [['a='], /neither a number/],
  ];
  for (const [pairs, problem] of bad) assert.throws(() => parseCommandParams(pairs), problem, pairs.join(' '));
});

test.run();
