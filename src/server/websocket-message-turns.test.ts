import { describe, expect, it } from 'vitest';
import { createMessageTurns } from './websocket-message-turns.ts';

/** Turns whose next turn runs only when the test says so. */
function manualTurns(perTurn: number) {
  const deferred: (() => void)[] = [];
  const turns = createMessageTurns({ perTurn, defer: (next) => deferred.push(next) });
  return {
    turns,
    /** Runs the pending turn; false when none was scheduled. */
    nextTurn(): boolean {
      const next = deferred.shift();
      if (next === undefined) return false;
      next();
      return true;
    },
  };
}

describe('message turns', () => {
  it('hands messages over at once while the turn has room', () => {
    const { turns } = manualTurns(3);
    const lane = turns.lane();
    const seen: number[] = [];
    for (const n of [1, 2, 3]) lane.push(() => seen.push(n));
    expect(seen).toEqual([1, 2, 3]);
    expect(turns.waiting).toBe(0);
  });

  it('keeps what passes the allowance for later turns, in order', () => {
    const { turns, nextTurn } = manualTurns(2);
    const lane = turns.lane();
    const seen: number[] = [];
    for (const n of [1, 2, 3, 4, 5]) lane.push(() => seen.push(n));
    expect(seen).toEqual([1, 2]);
    expect(turns.waiting).toBe(3);
    expect(nextTurn()).toBe(true);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(nextTurn()).toBe(true);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(turns.waiting).toBe(0);
    expect(turns.handled).toBe(5);
  });

  it('takes lanes round-robin, so one flooding socket does not hold back another', () => {
    const { turns, nextTurn } = manualTurns(2);
    const flood = turns.lane();
    const quiet = turns.lane();
    const seen: string[] = [];
    for (let n = 1; n <= 6; n++) flood.push(() => seen.push(`f${n}`));
    quiet.push(() => seen.push('q1'));
    expect(seen).toEqual(['f1', 'f2']);
    nextTurn();
    // One each: the flood's next, then the quiet socket's only message.
    expect(seen).toEqual(['f1', 'f2', 'f3', 'q1']);
    nextTurn();
    expect(seen).toEqual(['f1', 'f2', 'f3', 'q1', 'f4', 'f5']);
  });

  it('queues a message behind its own socket even when the turn has room again', () => {
    const { turns, nextTurn } = manualTurns(1);
    const lane = turns.lane();
    const seen: number[] = [];
    lane.push(() => seen.push(1));
    lane.push(() => seen.push(2));
    nextTurn(); // hands over 2, and the allowance is used
    lane.push(() => seen.push(3));
    lane.push(() => seen.push(4));
    expect(seen).toEqual([1, 2]);
    nextTurn();
    nextTurn();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('drops what waits when a lane closes, and ignores later pushes', () => {
    const { turns, nextTurn } = manualTurns(1);
    const lane = turns.lane();
    const seen: number[] = [];
    for (const n of [1, 2, 3]) lane.push(() => seen.push(n));
    expect(lane.waiting).toBe(2);
    lane.close();
    lane.push(() => seen.push(4));
    expect(turns.waiting).toBe(0);
    while (nextTurn()) {}
    expect(seen).toEqual([1]);
  });

  it('stops scheduling turns once nothing waits', () => {
    const { turns, nextTurn } = manualTurns(4);
    turns.lane().push(() => undefined);
    // One turn comes to reset the allowance; it hands over nothing, so no other follows.
    expect(nextTurn()).toBe(true);
    expect(nextTurn()).toBe(false);
  });

  it.each([
    // lanes, messages per lane, per turn → turns needed after the first synchronous handover
    [1, 10, 5, 1],
    [4, 10, 8, 4],
    [10, 3, 64, 0],
    [500, 50, 64, 390],
  ])('%i lanes × %i messages at %i per turn take %i more turns', (lanes, each, perTurn, more) => {
    const { turns, nextTurn } = manualTurns(perTurn);
    for (let l = 0; l < lanes; l++) {
      const lane = turns.lane();
      for (let m = 0; m < each; m++) lane.push(() => undefined);
    }
    let turnsWithWork = 0;
    while (turns.waiting > 0 && nextTurn()) turnsWithWork++;
    expect(turnsWithWork).toBe(more);
    expect(turns.handled).toBe(lanes * each);
  });
});
