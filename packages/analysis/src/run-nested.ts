/**
 * runNested: runs a recursive walk without using the call stack, so that a model nested
 * 10,000 deep is analysed like a flat one instead of overflowing the stack. A recursive
 * function `f(x)` becomes a generator `function* f(x)` that writes `(yield f(child))` where it
 * used to call `f(child)`: it yields the sub-walk as a generator, and runNested runs that on
 * its own explicit stack and sends the result back. Only the depth of the explicit stack
 * grows with the nesting, and that is an array.
 */

/** A step of a nested walk that returns T; every value it yields is a sub-walk. */
export type Nested<T> = Generator<Nested<unknown>, T, unknown>;

/** Runs `root` and every sub-walk it yields, depth first, and returns root's result. */
export function runNested<T>(root: Nested<T>): T {
  const stack: Nested<unknown>[] = [root];
  let sent: unknown;
  let thrown: { error: unknown } | null = null;
  while (true) {
    const top = stack[stack.length - 1]!;
    let step: IteratorResult<Nested<unknown>, unknown>;
    try {
      step = thrown ? top.throw(thrown.error) : top.next(sent);
      thrown = null;
    } catch (error) {
      // The sub-walk failed: its caller sees the error where it yielded (try/catch works).
      stack.pop();
      if (stack.length === 0) throw error;
      thrown = { error };
      continue;
    }
    if (step.done) {
      stack.pop();
      if (stack.length === 0) return step.value as T;
      sent = step.value;
    } else {
      stack.push(step.value);
      sent = undefined;
    }
  }
}
