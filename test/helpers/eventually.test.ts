// The waiting helpers every test uses: they must return as soon as the condition holds and fail
// with a message that says what never happened.
import { describe, expect, it } from 'vitest';
import { eventually, within } from './eventually.ts';

describe('eventually', () => {
  it('probes until the value is not false, and resolves with it', async () => {
    let calls = 0;
    const value = await eventually(() => (++calls < 4 ? false : `after ${calls}`), { timeoutMs: 5_000, what: 'the fourth call' });
    expect(value).toBe('after 4');
  });

  it('retries a probe that throws, such as an expect that does not hold yet', async () => {
    let calls = 0;
    await eventually(() => expect(++calls).toBe(3), { timeoutMs: 5_000, what: 'three calls' });
    expect(calls).toBe(3);
  });

  it('fails after the timeout, naming what was awaited and the last failed expectation', async () => {
    const failure = eventually(() => expect('pending').toBe('sent'), { timeoutMs: 50, what: 'the delivery to be sent' });
    await expect(failure).rejects.toThrow(/not within 50 ms: the delivery to be sent\n.*expected 'pending' to be 'sent'/);
  });

  it('asks a `what` function at the moment of failure, to tell the state things were left in', async () => {
    let state = 'queued';
    const failure = eventually(() => state === 'sent', { timeoutMs: 30, what: () => `the delivery to be sent; it is ${state}` });
    state = 'held';
    await expect(failure).rejects.toThrow('not within 30 ms: the delivery to be sent; it is held');
  });

  it('fails after the timeout when the probe kept answering false', async () => {
    await expect(eventually(() => false, { timeoutMs: 30, what: 'a miracle' })).rejects.toThrow('not within 30 ms: a miracle');
  });

  it('probes once more at the deadline, so a slow probe that comes good is not lost', async () => {
    let calls = 0;
    const probe = async () => {
      if (++calls === 1) await within(new Promise(() => {}), { timeoutMs: 60, what: 'a slow first probe' }).catch(() => {}); // outlasts the timeout
      return calls >= 2 || false;
    };
    await expect(eventually(probe, { timeoutMs: 20, what: 'the second probe' })).resolves.toBe(true);
    expect(calls).toBe(2);
  });
});

describe('within', () => {
  it('resolves with the promise', async () => {
    await expect(within(Promise.resolve(7), { timeoutMs: 1_000, what: 'seven' })).resolves.toBe(7);
  });

  it('rejects naming what did not settle in time', async () => {
    await expect(within(new Promise(() => {}), { timeoutMs: 20, what: 'the process to exit' })).rejects.toThrow('not within 20 ms: the process to exit');
  });
});
