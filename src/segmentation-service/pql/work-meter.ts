// A counter of the work compiled expressions do (character comparisons, bit-vector steps), so an
// evaluator can yield to the event loop by work done rather than by profiles. Nothing else.

/** Work units done so far; whoever passes it to a compiler reads and resets it. */
export interface WorkMeter {
  units: number;
}

/** A fresh meter at zero. */
export function createWorkMeter(): WorkMeter {
  return { units: 0 };
}
